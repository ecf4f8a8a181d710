package mfa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
)

func TestWebAuthnRegistration(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	opts, err := e.wa.BeginRegistration(ctx, "session-1", e.user)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	o := parseWAOptions(t, opts)
	if c, err := b64.DecodeString(o.PublicKey.Challenge); err != nil || len(c) < 32 {
		t.Errorf("challenge has %d bytes (%v), want at least 32 (256 bits)", len(c), err)
	}
	if h, _ := b64.DecodeString(o.PublicKey.User.ID); string(h) != e.user.ID {
		t.Errorf("user handle = %q, want the user id", h)
	}
	sel := o.PublicKey.AuthenticatorSelection
	if sel.ResidentKey != "preferred" || sel.UserVerification != "preferred" || o.PublicKey.Timeout != 300000 {
		t.Errorf("selection = %+v, timeout %d; want resident key and UV preferred, 5 minutes", sel, o.PublicKey.Timeout)
	}

	got, err := e.wa.FinishRegistration(ctx, "session-1", e.user, e.key.create(t, opts), "  Blue key ")
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	want := mfa.WebAuthnCredential{ID: got.ID, OrgID: e.user.OrgID, UserID: e.user.ID, Nickname: "Blue key",
		Transports: []string{"usb", "nfc"}, CreatedAt: got.CreatedAt}
	if diff := cmp.Diff(want, got); diff != "" || got.ID == "" {
		t.Errorf("FinishRegistration mismatch (-want +got):\n%s", diff)
	}
	list, err := e.wa.WebAuthnCredentials(ctx, e.user.OrgID, e.user.ID)
	if err != nil || len(list) != 1 || list[0].ID != got.ID {
		t.Errorf("WebAuthnCredentials = %+v, %v; want the new credential", list, err)
	}
	if n, err := e.wa.WebAuthnCount(ctx, e.user.OrgID, e.user.ID); err != nil || n != 1 {
		t.Errorf("WebAuthnCount = %d, %v; want 1", n, err)
	}

	// A second registration excludes the key already registered.
	opts, err = e.wa.BeginRegistration(ctx, "session-1", e.user)
	if err != nil {
		t.Fatalf("BeginRegistration again: %v", err)
	}
	if ex := parseWAOptions(t, opts).PublicKey.ExcludeCredentials; len(ex) != 1 || ex[0].ID != b64.EncodeToString(e.key.credID) {
		t.Errorf("excludeCredentials = %+v, want the registered key", ex)
	}
}

func TestWebAuthnPasskeyRegistration(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	opts, err := e.wa.BeginPasskeyRegistration(ctx, "s", e.user)
	if err != nil {
		t.Fatalf("BeginPasskeyRegistration: %v", err)
	}
	if sel := parseWAOptions(t, opts).PublicKey.AuthenticatorSelection; sel.ResidentKey != "required" || sel.UserVerification != "required" {
		t.Errorf("selection = %+v, want resident key and UV required", sel)
	}
	if _, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Phone"); err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
}

// TestWebAuthnSecondFactorWithoutUV: UV is only preferred for a second
// factor, so a key without a PIN registers.
func TestWebAuthnSecondFactorWithoutUV(t *testing.T) {
	e := newWAEnv(t)
	e.key.flags = waFlagUP
	e.mustRegister(t, "s", e.user, e.key)
}

func TestWebAuthnRegistrationRefused(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		run      func(t *testing.T, e *waEnv) error
		wantKind errs.Kind
		wantMsg  string
		// wantReason is part of the logged reason, to show the response
		// was refused for the right cause.
		wantReason string
	}{
		{"wrong origin", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			e.key.origin = "https://evil.example"
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "Error validating origin"},
		{"wrong RP ID", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			e.key.rpID = "evil.example"
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "RP Hash mismatch"},
		{"passkey without user verification", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginPasskeyRegistration(ctx, "s", e.user)
			e.key.flags = waFlagUP
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "User verification required"},
		{"without user presence", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			e.key.flags = waFlagUV
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "User presence required"},
		{"replayed", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			resp := e.key.create(t, opts)
			if _, err := e.wa.FinishRegistration(ctx, "s", e.user, resp, "Key"); err != nil {
				t.Fatalf("first FinishRegistration: %v", err)
			}
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, resp, "Key")
			return err
		}, errs.Invalid, "error.webauthn_expired", "no pending challenge"},
		{"challenge of another session", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "victim", e.user)
			_, err := e.wa.FinishRegistration(ctx, "attacker", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_expired", "no pending challenge"},
		{"challenge replaced by a later Begin", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			if _, err := e.wa.BeginRegistration(ctx, "s", e.user); err != nil {
				t.Fatal(err)
			}
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "Error validating challenge"},
		{"expired", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			e.clock.Advance(mfa.WebAuthnChallengeTTL)
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_expired", "challenge expired"},
		{"begun for another user", func(t *testing.T, e *waEnv) error {
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.other)
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Invalid, "error.webauthn_expired", "begun for another user"},
		{"malformed response", func(t *testing.T, e *waEnv) error {
			_, _ = e.wa.BeginRegistration(ctx, "s", e.user)
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, []byte(`{"id":"x"`), "Key")
			return err
		}, errs.Invalid, "error.webauthn_failed", "Parse error"},
		{"registered twice", func(t *testing.T, e *waEnv) error {
			e.mustRegister(t, "s", e.other, e.key)
			opts, _ := e.wa.BeginRegistration(ctx, "s", e.user)
			_, err := e.wa.FinishRegistration(ctx, "s", e.user, e.key.create(t, opts), "Key")
			return err
		}, errs.Conflict, "error.webauthn_already_registered", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newWAEnv(t)
			wantWAError(t, tt.run(t, e), tt.wantKind, tt.wantMsg)
			// Only the replay's first, genuine, registration stored a key.
			want := 0
			if tt.name == "replayed" {
				want = 1
			}
			if n, err := e.wa.WebAuthnCount(ctx, e.user.OrgID, e.user.ID); err != nil || n != want {
				t.Errorf("WebAuthnCount = %d, %v; want %d", n, err, want)
			}
			if logs := e.logs.String(); !strings.Contains(logs, "webauthn: ceremony refused") || !strings.Contains(logs, tt.wantReason) {
				if tt.wantKind != errs.Conflict {
					t.Errorf("logs = %s\nwant a refusal for %q", logs, tt.wantReason)
				}
			}
		})
	}
}

// TestWebAuthnBadNickname: a nickname problem is reported before the
// challenge is used, so the user can fix it and finish.
func TestWebAuthnBadNickname(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	opts, err := e.wa.BeginRegistration(ctx, "s", e.user)
	if err != nil {
		t.Fatal(err)
	}
	resp := e.key.create(t, opts)
	for _, bad := range []string{"", "   ", "tab\there", strings.Repeat("x", mfa.MaxWebAuthnNickname+1)} {
		_, err := e.wa.FinishRegistration(ctx, "s", e.user, resp, bad)
		if _, _, _, fields := errs.Public(err); !errs.Is(err, errs.Invalid) || len(fields) != 1 || fields[0].Field != "nickname" {
			t.Errorf("nickname %q: err = %v, want invalid nickname", bad, err)
		}
	}
	if _, err := e.wa.FinishRegistration(ctx, "s", e.user, resp, strings.Repeat("ü", mfa.MaxWebAuthnNickname)); err != nil {
		t.Errorf("FinishRegistration after bad nicknames: %v", err)
	}
}

func TestWebAuthnManageCredentials(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	c := e.mustRegister(t, "s", e.user, e.key)

	got, err := e.wa.RenameWebAuthnCredential(ctx, e.user.OrgID, e.user.ID, c.ID, " Desk key ")
	if err != nil || got.Nickname != "Desk key" {
		t.Fatalf("RenameWebAuthnCredential = %+v, %v", got, err)
	}
	_, err = e.wa.RenameWebAuthnCredential(ctx, e.user.OrgID, e.user.ID, c.ID, "")
	wantWAError(t, err, errs.Invalid, "error.invalid")
	_, err = e.wa.RenameWebAuthnCredential(ctx, e.other.OrgID, e.other.ID, c.ID, "Mine now")
	wantWAError(t, err, errs.NotFound, "error.not_found")
	wantWAError(t, e.wa.DeleteWebAuthnCredential(ctx, e.other.OrgID, e.other.ID, c.ID), errs.NotFound, "error.not_found")

	if err := e.wa.DeleteWebAuthnCredential(ctx, e.user.OrgID, e.user.ID, c.ID); err != nil {
		t.Fatalf("DeleteWebAuthnCredential: %v", err)
	}
	if n, err := e.wa.WebAuthnCount(ctx, e.user.OrgID, e.user.ID); err != nil || n != 0 {
		t.Errorf("WebAuthnCount after delete = %d, %v; want 0", n, err)
	}
	// A deleted key cannot log in any more: there is nothing to offer.
	_, err = e.wa.BeginLogin(ctx, "s", e.user)
	wantWAError(t, err, errs.NotFound, "error.webauthn_no_credentials")
}

func TestNewWebAuthnConfig(t *testing.T) {
	e := newWAEnv(t)
	for _, cfg := range []mfa.WebAuthnConfig{
		{RPID: "", Origins: []string{waOrigin}},
		{RPID: waRPID},
		{RPID: "not a domain!", Origins: []string{waOrigin}},
	} {
		if _, err := mfa.NewWebAuthn(cfg, e.db, nil, nil); !errs.Is(err, errs.Invalid) {
			t.Errorf("NewWebAuthn(%+v) = %v, want invalid", cfg, err)
		}
	}
}

// TestWebAuthnChallengeStorage: the challenge table holds a hash of the
// session id, never the id itself, and nothing of the user's name.
func TestWebAuthnChallengeStorage(t *testing.T) {
	e := newWAEnv(t)
	const session = "raw-session-id-canary"
	if _, err := e.wa.BeginRegistration(context.Background(), session, e.user); err != nil {
		t.Fatal(err)
	}
	rows, err := e.db.SQL().Query(`SELECT session_key, ceremony, data FROM webauthn_challenges`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var key, ceremony string
		var data []byte
		if err := rows.Scan(&key, &ceremony, &data); err != nil {
			t.Fatal(err)
		}
		n++
		if len(key) != 64 || strings.Contains(key, "canary") || ceremony != string(mfa.WebAuthnRegistration) {
			t.Errorf("row (%q, %q), want a 64-character hash for the registration", key, ceremony)
		}
		if strings.Contains(string(data), "canary") || strings.Contains(string(data), waCanary) {
			t.Error("challenge data holds the session id or the user's name")
		}
	}
	if err := rows.Err(); err != nil || n != 1 {
		t.Errorf("%d challenge rows (%v), want 1", n, err)
	}
}

func TestWebAuthnDeleteExpiredChallenges(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	if _, err := e.wa.BeginRegistration(ctx, "old", e.user); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(mfa.WebAuthnChallengeTTL)
	if _, err := e.wa.BeginDiscoverableLogin(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.wa.DeleteExpiredWebAuthnChallenges(ctx); err != nil || n != 1 {
		t.Errorf("DeleteExpiredWebAuthnChallenges = %d, %v; want the old one only", n, err)
	}
	var left int
	if err := e.db.SQL().QueryRow(`SELECT count(*) FROM webauthn_challenges`).Scan(&left); err != nil || left != 1 {
		t.Errorf("%d challenges left (%v), want 1", left, err)
	}
}
