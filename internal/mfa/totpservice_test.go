package mfa_test

import (
	"context"
	"encoding/base32"
	"net/url"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/phi"
)

// enrol begins and confirms TOTP for the fixture's user and returns the
// secret; the confirming code's step is then used.
func enrol(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	e, err := f.svc.BeginTOTP(ctx, f.org, f.user, phi.NewText("ana@example.org"))
	if err != nil {
		t.Fatalf("BeginTOTP: %v", err)
	}
	if err := f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, e.Secret.Reveal(), f.clock.Now())); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	return e.Secret.Reveal()
}

func TestBeginTOTP(t *testing.T) {
	f := newFixture(t, cheapParams)
	e, err := f.svc.BeginTOTP(context.Background(), f.org, f.user, phi.NewText("ana@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret.Reveal())
	if err != nil || len(key) != 20 {
		t.Fatalf("secret decodes to %d bytes, %v; want 160 bits", len(key), err)
	}
	u, err := url.Parse(e.URI.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Astral Core:ana@example.org" || u.Query().Get("secret") != e.Secret.Reveal() {
		t.Errorf("URI %s does not carry the label and secret", e.URI.Reveal())
	}
	// Pending is not active: the app cannot sign in yet.
	wantCodeInvalid(t, "code before confirmation", f.svc.VerifyTOTP(context.Background(), f.org, f.user, codeAt(t, e.Secret.Reveal(), f.clock.Now())))
	if got, err := f.svc.Factors(context.Background(), f.org, f.user); err != nil || got.TOTP {
		t.Errorf("Factors while pending = %+v, %v; want no TOTP", got, err)
	}
}

func TestConfirmTOTP(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	// Begin twice: only the second secret confirms.
	first := mustBegin(t, f)
	second := mustBegin(t, f)
	wantCodeInvalid(t, "replaced secret", f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, first, f.clock.Now())))
	wantCodeInvalid(t, "malformed", f.svc.ConfirmTOTP(ctx, f.org, f.user, "12a456"))
	wantCodeInvalid(t, "two steps old", f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, second, f.clock.Now().Add(-60*time.Second))))
	if err := f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, second, f.clock.Now())); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	// The confirming code is used up.
	wantCodeInvalid(t, "confirming code reused", f.svc.VerifyTOTP(ctx, f.org, f.user, codeAt(t, second, f.clock.Now())))
	// Nothing is pending any more.
	wantEnrolmentExpired(t, "second ConfirmTOTP", f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, second, f.clock.Now())))

	// A pending enrolment left for more than 30 minutes is gone, and the
	// active app keeps working meanwhile.
	third := mustBegin(t, f)
	f.clock.Advance(31 * time.Minute)
	wantEnrolmentExpired(t, "ConfirmTOTP after 31 minutes", f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, third, f.clock.Now())))
	if err := f.svc.VerifyTOTP(ctx, f.org, f.user, codeAt(t, second, f.clock.Now())); err != nil {
		t.Errorf("active app during a re-enrolment: %v", err)
	}
}

func wantEnrolmentExpired(t *testing.T, what string, err error) {
	t.Helper()
	if kind, msg, _, _ := errs.Public(err); kind != errs.NotFound || msg != mfa.MsgTOTPEnrolmentExpired {
		t.Errorf("%s = %v (%v %q), want NotFound %q", what, err, kind, msg, mfa.MsgTOTPEnrolmentExpired)
	}
}

func mustBegin(t *testing.T, f *fixture) string {
	t.Helper()
	e, err := f.svc.BeginTOTP(context.Background(), f.org, f.user, phi.NewText("ana@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	return e.Secret.Reveal()
}

// TestVerifyTOTP walks the clock through steps and checks each rule of
// SECURITY.md V6 item 7. Each case runs after the previous ones, on one
// credential, so "replay" means a step already accepted.
func TestVerifyTOTP(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	secret := enrol(t, f) // the current step is used
	now := f.clock.Now

	tests := []struct {
		name    string
		advance time.Duration // clock move before the attempt
		codeAt  time.Duration // code's time relative to the (moved) clock
		ok      bool
	}{
		{"same code as enrolment", 0, 0, false},
		{"next step", 30 * time.Second, 0, true},
		{"same code twice", 0, 0, false},
		{"one step old", 60 * time.Second, -30 * time.Second, true},
		{"current", 0, 0, true},
		{"older code after a newer one", 0, -30 * time.Second, false},
		{"one step ahead", 0, 30 * time.Second, true},
		{"current after one ahead", 0, 0, false},
		// Two steps away, with no step accepted since: only the window refuses.
		{"two steps old", 120 * time.Second, -60 * time.Second, false},
		{"two steps ahead", 0, 60 * time.Second, false},
		{"current after refusals", 0, 0, true},
		{"wrong digits", 30 * time.Second, 0, false},
		{"a day later", 24 * time.Hour, 0, true},
	}
	for _, tt := range tests {
		f.clock.Advance(tt.advance)
		code := codeAt(t, secret, now().Add(tt.codeAt))
		if tt.name == "wrong digits" {
			code = wrongCode(code)
		}
		err := f.svc.VerifyTOTP(ctx, f.org, f.user, code)
		if tt.ok && err != nil {
			t.Errorf("%s: VerifyTOTP = %v, want accepted", tt.name, err)
		}
		if !tt.ok {
			wantCodeInvalid(t, tt.name, err)
		}
	}
}

// wrongCode returns a 6-digit code that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestVerifyTOTPConcurrent(t *testing.T) {
	f := newFixture(t, cheapParams)
	secret := enrol(t, f)
	f.clock.Advance(30 * time.Second)
	code := codeAt(t, secret, f.clock.Now())
	if n := concurrently(t, 20, func() error {
		return f.svc.VerifyTOTP(context.Background(), f.org, f.user, code)
	}); n != 1 {
		t.Errorf("%d of 20 concurrent uses of one code succeeded, want exactly 1", n)
	}
}

func TestRemoveTOTP(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	secret := enrol(t, f)
	if err := f.svc.RemoveTOTP(ctx, f.org, f.user); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	wantCodeInvalid(t, "removed app", f.svc.VerifyTOTP(ctx, f.org, f.user, codeAt(t, secret, f.clock.Now())))
	if err := f.svc.RemoveTOTP(ctx, f.org, f.user); !errs.Is(err, errs.NotFound) {
		t.Errorf("second RemoveTOTP = %v, want NotFound", err)
	}
	if got, err := f.svc.Factors(ctx, f.org, f.user); err != nil || got.TOTP {
		t.Errorf("Factors after removal = %+v, %v", got, err)
	}
}

// TestTOTPSecretBoundToRow moves a sealed secret to another user's row: it
// no longer opens, so the code fails closed (an error, never an accept).
func TestTOTPSecretBoundToRow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	secret := enrol(t, f)
	other := newUser(t, f)
	_, err := f.svc.BeginTOTP(ctx, f.org, other, phi.NewText("ben@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().ExecContext(ctx, `UPDATE totp_credentials SET secret = (SELECT secret FROM totp_credentials WHERE user_id = ?) WHERE user_id = ?`,
		f.user, other); err != nil {
		t.Fatal(err)
	}
	err = f.svc.ConfirmTOTP(ctx, f.org, other, codeAt(t, secret, f.clock.Now()))
	if err == nil || errs.Is(err, errs.Invalid) {
		t.Errorf("ConfirmTOTP with a moved secret = %v, want a decryption failure", err)
	}
}
