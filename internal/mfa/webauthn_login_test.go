package mfa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
)

func TestWebAuthnLogin(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	reg := e.mustRegister(t, "s", e.user, e.key)

	opts := e.mustBeginLogin(t, "s")
	o := parseWAOptions(t, opts)
	if c, err := b64.DecodeString(o.PublicKey.Challenge); err != nil || len(c) < 32 {
		t.Errorf("challenge has %d bytes (%v), want at least 32 (256 bits)", len(c), err)
	}
	if a := o.PublicKey.AllowCredentials; len(a) != 1 || a[0].ID != b64.EncodeToString(e.key.credID) {
		t.Errorf("allowCredentials = %+v, want the user's key", a)
	}
	if o.PublicKey.UserVerification != "preferred" {
		t.Errorf("userVerification = %q, want preferred for a second factor", o.PublicKey.UserVerification)
	}
	got, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	if got.ID != reg.ID || got.LastUsedAt == nil || got.CloneWarning {
		t.Errorf("FinishLogin = %+v, want the registered key, used, no clone warning", got)
	}

	// A second factor need not verify the user: presence is enough.
	e.key.flags = waFlagUP
	if _, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, e.mustBeginLogin(t, "s"))); err != nil {
		t.Fatalf("FinishLogin without UV: %v", err)
	}
}

func TestWebAuthnLoginRefused(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		run        func(t *testing.T, e *waEnv) error
		wantMsg    string
		wantReason string
	}{
		{"wrong origin", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			e.key.origin = "https://astral.example.evil.example"
			_, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "Error validating origin"},
		{"wrong RP ID", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			e.key.rpID = "evil.example"
			_, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "RP Hash mismatch"},
		{"without user presence", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			e.key.flags = waFlagUV
			_, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "User presence required"},
		{"replayed", func(t *testing.T, e *waEnv) error {
			resp := e.key.get(t, e.mustBeginLogin(t, "s"))
			if _, err := e.wa.FinishLogin(ctx, "s", e.user, resp); err != nil {
				t.Fatalf("first FinishLogin: %v", err)
			}
			_, err := e.wa.FinishLogin(ctx, "s", e.user, resp)
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"replayed into a new challenge", func(t *testing.T, e *waEnv) error {
			resp := e.key.get(t, e.mustBeginLogin(t, "s"))
			if _, err := e.wa.FinishLogin(ctx, "s", e.user, resp); err != nil {
				t.Fatalf("first FinishLogin: %v", err)
			}
			e.mustBeginLogin(t, "s")
			_, err := e.wa.FinishLogin(ctx, "s", e.user, resp)
			return err
		}, "error.webauthn_failed", "Error validating challenge"},
		{"challenge of another session", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "victim")
			_, err := e.wa.FinishLogin(ctx, "attacker", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"challenge of another ceremony", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "s")
			_, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"expired", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			e.clock.Advance(mfa.WebAuthnChallengeTTL)
			_, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "challenge expired"},
		{"begun for another user", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			_, err := e.wa.FinishLogin(ctx, "s", e.other, e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "begun for another user"},
		{"bad signature", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			impostor := newWAAuthenticator(t, waOrigin, waRPID)
			impostor.credID, impostor.userHandle = e.key.credID, e.key.userHandle
			_, err := e.wa.FinishLogin(ctx, "s", e.user, impostor.get(t, opts))
			return err
		}, "error.webauthn_failed", "assertion signature"},
		{"another user's key", func(t *testing.T, e *waEnv) error {
			theirs := newWAAuthenticator(t, waOrigin, waRPID)
			e.mustRegister(t, "s2", e.other, theirs)
			opts := e.mustBeginLogin(t, "s")
			_, err := e.wa.FinishLogin(ctx, "s", e.user, theirs.get(t, opts))
			return err
		}, "error.webauthn_failed", "not owned by the user"},
		{"malformed response", func(t *testing.T, e *waEnv) error {
			e.mustBeginLogin(t, "s")
			_, err := e.wa.FinishLogin(ctx, "s", e.user, []byte(`[]`))
			return err
		}, "error.webauthn_failed", "Parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newWAEnv(t)
			e.mustRegister(t, "s", e.user, e.key)
			wantWAError(t, tt.run(t, e), errs.Unauthenticated, tt.wantMsg)
			if logs := e.logs.String(); !strings.Contains(logs, "webauthn: ceremony refused") || !strings.Contains(logs, tt.wantReason) {
				t.Errorf("logs = %s\nwant a refusal for %q", logs, tt.wantReason)
			}
		})
	}
}

func TestWebAuthnLoginWithoutCredentials(t *testing.T) {
	e := newWAEnv(t)
	_, err := e.wa.BeginLogin(context.Background(), "s", e.user)
	wantWAError(t, err, errs.NotFound, "error.webauthn_no_credentials")
}

func TestWebAuthnDiscoverableLogin(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	e.mustRegister(t, "s", e.user, e.key)

	opts := e.mustBeginDiscoverable(t, "anonymous")
	o := parseWAOptions(t, opts)
	if len(o.PublicKey.AllowCredentials) != 0 || o.PublicKey.UserVerification != "required" {
		t.Errorf("options = %+v, want no allowed credentials and UV required", o.PublicKey)
	}
	userID, orgID, err := e.wa.FinishDiscoverableLogin(ctx, "anonymous", e.key.get(t, opts))
	if err != nil || userID != e.user.ID || orgID != e.user.OrgID {
		t.Fatalf("FinishDiscoverableLogin = %q, %q, %v; want %q, %q", userID, orgID, err, e.user.ID, e.user.OrgID)
	}
	list, err := e.wa.WebAuthnCredentials(ctx, e.user.OrgID, e.user.ID)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("WebAuthnCredentials = %+v, %v; want the key marked used", list, err)
	}
}

func TestWebAuthnDiscoverableLoginRefused(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		run        func(t *testing.T, e *waEnv) error
		wantMsg    string
		wantReason string
	}{
		{"without user verification", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "s")
			e.key.flags = waFlagUP
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "user verification required"},
		{"wrong origin", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "s")
			e.key.origin = "http://astral.example"
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "Error validating origin"},
		{"wrong RP ID", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "s")
			e.key.rpID = "example"
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, opts))
			return err
		}, "error.webauthn_failed", "RP Hash mismatch"},
		{"unknown credential", func(t *testing.T, e *waEnv) error {
			stranger := newWAAuthenticator(t, waOrigin, waRPID)
			stranger.userHandle = []byte(e.user.ID)
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", stranger.get(t, e.mustBeginDiscoverable(t, "s")))
			return err
		}, "error.webauthn_failed", "credential not registered"},
		{"user handle of another user", func(t *testing.T, e *waEnv) error {
			e.key.userHandle = []byte(e.other.ID)
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, e.mustBeginDiscoverable(t, "s")))
			return err
		}, "error.webauthn_failed", "user handle does not own the credential"},
		{"replayed", func(t *testing.T, e *waEnv) error {
			resp := e.key.get(t, e.mustBeginDiscoverable(t, "s"))
			if _, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", resp); err != nil {
				t.Fatalf("first FinishDiscoverableLogin: %v", err)
			}
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", resp)
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"challenge of another session", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "victim")
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "attacker", e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"challenge of a second-factor login", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginLogin(t, "s")
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "no pending challenge"},
		{"expired", func(t *testing.T, e *waEnv) error {
			opts := e.mustBeginDiscoverable(t, "s")
			e.clock.Advance(mfa.WebAuthnChallengeTTL + 1)
			_, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, opts))
			return err
		}, "error.webauthn_expired", "challenge expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newWAEnv(t)
			e.mustRegister(t, "s", e.user, e.key)
			wantWAError(t, tt.run(t, e), errs.Unauthenticated, tt.wantMsg)
			if logs := e.logs.String(); !strings.Contains(logs, "webauthn: ceremony refused") || !strings.Contains(logs, tt.wantReason) {
				t.Errorf("logs = %s\nwant a refusal for %q", logs, tt.wantReason)
			}
		})
	}
}

// TestWebAuthnCloneSignal: a signature counter that does not increase
// logs a warning and marks the credential, but the login succeeds.
func TestWebAuthnCloneSignal(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	e.mustRegister(t, "s", e.user, e.key)
	for range 3 { // counter 1, 2, 3
		if _, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, e.mustBeginLogin(t, "s"))); err != nil {
			t.Fatalf("FinishLogin: %v", err)
		}
	}
	if strings.Contains(e.logs.String(), "may be cloned") {
		t.Fatal("clone warning logged for an increasing counter")
	}

	e.key.counter = 1 // the clone's next signature carries 2, below 3
	got, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, e.mustBeginLogin(t, "s")))
	if err != nil {
		t.Fatalf("FinishLogin with a lower counter: %v", err)
	}
	if !got.CloneWarning {
		t.Errorf("FinishLogin = %+v, want CloneWarning", got)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "may be cloned") || !strings.Contains(logs, `"stored_count":3`) || !strings.Contains(logs, `"received_count":2`) {
		t.Errorf("logs = %s\nwant a clone warning with both counters", logs)
	}

	// The warning stays after a later, normal login, and passwordless
	// logins record it too.
	e.key.counter = 10
	userID, _, err := e.wa.FinishDiscoverableLogin(ctx, "s", e.key.get(t, e.mustBeginDiscoverable(t, "s")))
	if err != nil || userID != e.user.ID {
		t.Fatalf("FinishDiscoverableLogin = %q, %v", userID, err)
	}
	list, err := e.wa.WebAuthnCredentials(ctx, e.user.OrgID, e.user.ID)
	if err != nil || len(list) != 1 || !list[0].CloneWarning {
		t.Errorf("WebAuthnCredentials = %+v, %v; want the clone warning kept", list, err)
	}
}

// TestWebAuthnCounterlessAuthenticator: authenticators without a counter
// always send 0, which is not a clone signal.
func TestWebAuthnCounterlessAuthenticator(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	e.mustRegister(t, "s", e.user, e.key)
	for range 2 {
		e.key.counter = ^uint32(0) // get increments it to 0
		got, err := e.wa.FinishLogin(ctx, "s", e.user, e.key.get(t, e.mustBeginLogin(t, "s")))
		if err != nil || got.CloneWarning {
			t.Fatalf("FinishLogin = %+v, %v; want no clone warning", got, err)
		}
	}
}
