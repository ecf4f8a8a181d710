package mfa_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
)

func issue(t *testing.T, f *fixture) string {
	t.Helper()
	code, err := f.svc.IssueEmailCode(context.Background(), f.org, f.user)
	if err != nil {
		t.Fatalf("IssueEmailCode: %v", err)
	}
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code.Reveal()) {
		t.Fatalf("e-mail code has the wrong shape")
	}
	return code.Reveal()
}

func TestEmailCode(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// run gets a fresh code and returns the result of the final attempt.
		run func(t *testing.T, f *fixture, code string) error
		ok  bool
	}{
		{"right code", func(t *testing.T, f *fixture, code string) error {
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, true},
		{"typed with a space", func(t *testing.T, f *fixture, code string) error {
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code[:3]+" "+code[3:])
		}, true},
		{"at 9:59", func(t *testing.T, f *fixture, code string) error {
			f.clock.Advance(10*time.Minute - time.Second)
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, true},
		{"at 10:00, expired", func(t *testing.T, f *fixture, code string) error {
			f.clock.Advance(10 * time.Minute)
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, false},
		{"used twice", func(t *testing.T, f *fixture, code string) error {
			if err := f.svc.VerifyEmailCode(ctx, f.org, f.user, code); err != nil {
				t.Fatal(err)
			}
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, false},
		{"right on the 5th attempt", func(t *testing.T, f *fixture, code string) error {
			for range 4 {
				wantCodeInvalid(t, "wrong attempt", f.svc.VerifyEmailCode(ctx, f.org, f.user, wrongCode(code)))
			}
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, true},
		{"right on the 6th attempt", func(t *testing.T, f *fixture, code string) error {
			for range 5 {
				wantCodeInvalid(t, "wrong attempt", f.svc.VerifyEmailCode(ctx, f.org, f.user, wrongCode(code)))
			}
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, false},
		{"malformed attempts are not counted", func(t *testing.T, f *fixture, code string) error {
			for range 10 {
				wantCodeInvalid(t, "malformed", f.svc.VerifyEmailCode(ctx, f.org, f.user, "12345"))
			}
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, true},
		{"replaced by a newer code", func(t *testing.T, f *fixture, code string) error {
			// A new code replaces the old one; reissue in the one-in-a-million
			// case that the new code happens to equal the old.
			for i := 0; issue(t, f) == code; i++ {
				if i == 5 {
					t.Fatal("six identical random codes in a row")
				}
			}
			return f.svc.VerifyEmailCode(ctx, f.org, f.user, code)
		}, false},
		{"another user's code", func(t *testing.T, f *fixture, code string) error {
			return f.svc.VerifyEmailCode(ctx, f.org, newUser(t, f), code)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, cheapParams)
			err := tt.run(t, f, issue(t, f))
			if tt.ok && err != nil {
				t.Errorf("VerifyEmailCode = %v, want accepted", err)
			}
			if !tt.ok {
				wantCodeInvalid(t, tt.name, err)
			}
		})
	}
}

func TestEmailCodeConcurrent(t *testing.T) {
	f := newFixture(t, cheapParams)
	code := issue(t, f)
	if n := concurrently(t, 20, func() error {
		return f.svc.VerifyEmailCode(context.Background(), f.org, f.user, code)
	}); n != 1 {
		t.Errorf("%d of 20 concurrent uses of one e-mail code succeeded, want exactly 1", n)
	}
}

func TestEmailCodeDisabled(t *testing.T) {
	f := newFixture(t, cheapParams)
	off := mfa.NewService(f.db, nil, nil, mfa.Options{Now: f.clock.Now})
	if _, err := off.IssueEmailCode(context.Background(), f.org, f.user); !errs.Is(err, errs.Forbidden) {
		t.Errorf("IssueEmailCode with e-mail codes off = %v, want Forbidden", err)
	}
}
