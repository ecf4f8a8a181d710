package session_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
)

func TestCreateAndValidate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, identity.RoleTherapist)
	tok, s := f.login(t, u, false)
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Errorf("token has %d characters, want 43 of base64url", len(tok))
	}
	want := session.Session{
		ID: s.ID, OrgID: u.OrgID, UserID: u.ID, Role: identity.RoleTherapist,
		CreatedAt: f.clk.Now(), LastSeenAt: f.clk.Now(), IdleTimeout: 15 * time.Minute,
		AbsoluteExpiry: f.clk.Now().Add(12 * time.Hour), AuthTime: f.clk.Now(),
		Device: session.Device{Browser: "Firefox", OS: "Linux"}, Place: "198.51.100.0/24",
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	if s.MFAVerified() {
		t.Error("a password login is MFA-verified")
	}
	got, err := f.m.Validate(ctx, tok)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
	// A second Manager on the same store (a cold cache) reads the same.
	other := session.New(f.db, nil, session.Options{Now: f.clk.Now})
	if got, err := other.Validate(ctx, tok); err != nil || got.ID != s.ID {
		t.Errorf("Validate on a cold Manager = %+v, %v", got, err)
	}
	tok2, s2, err := f.m.Create(ctx, session.NewSession{OrgID: u.OrgID, UserID: u.ID, Role: u.Role, MFA: true})
	if err != nil || !s2.MFAVerified() || tok2 == tok || s2.ID == s.ID {
		t.Errorf("Create with MFA = %+v, %v", s2, err)
	}
}

// TestRotateFixation: a token known before login or step-up is worthless
// after it.
func TestRotateFixation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, identity.RoleTherapist)
	planted, s := f.login(t, u, false)
	// Warm the cache with the planted token, as an attacker's request would.
	if _, err := f.m.Validate(ctx, planted); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute)
	now := f.clk.Now()
	tok, got, err := f.m.Rotate(ctx, planted, func(s *session.Session) { s.MFAAt = now })
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if tok == planted || got.ID != s.ID || !got.MFAAt.Equal(now) || !got.MFAVerified() {
		t.Errorf("Rotate = %+v, want the same session with MFA now and a new token", got)
	}
	_, err = f.m.Validate(ctx, planted)
	wantUnauthenticated(t, "Validate(old token)", err)
	_, _, err = f.m.Rotate(ctx, planted, nil)
	wantUnauthenticated(t, "Rotate(old token)", err)
	v, err := f.m.Validate(ctx, tok)
	if err != nil || !v.MFAVerified() {
		t.Fatalf("Validate(new token) = %+v, %v", v, err)
	}
	// Edits other than AuthTime and MFAAt are ignored; impossible times are refused.
	tok3, got, err := f.m.Rotate(ctx, tok, func(s *session.Session) { s.Role = identity.RoleAdmin; s.UserID = "x" })
	if err != nil || got.Role != identity.RoleTherapist || got.UserID != u.ID {
		t.Errorf("Rotate with other edits = %+v, %v", got, err)
	}
	for name, change := range map[string]func(*session.Session){
		"future auth":  func(s *session.Session) { s.AuthTime = now.Add(time.Hour) },
		"zero auth":    func(s *session.Session) { s.AuthTime = time.Time{} },
		"earlier auth": func(s *session.Session) { s.AuthTime = now.Add(-time.Hour) },
		"future mfa":   func(s *session.Session) { s.MFAAt = now.Add(time.Hour) },
	} {
		if _, _, err := f.m.Rotate(ctx, tok3, change); !errs.Is(err, errs.Invalid) {
			t.Errorf("Rotate(%s) = %v, want Invalid", name, err)
		}
	}
	if _, err := f.m.Validate(ctx, tok3); err != nil {
		t.Errorf("a refused Rotate ended the session: %v", err)
	}
}

// TestFailuresIdentical: malformed, unknown, expired and revoked tokens give
// exactly the same error.
func TestFailuresIdentical(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, identity.RolePatient)
	expired, _ := f.login(t, u, false)
	revoked, rs := f.login(t, u, false)
	f.clk.Advance(31 * time.Minute)
	if err := f.m.Revoke(ctx, u.OrgID, u.ID, rs.ID, session.ReasonLogout); err != nil {
		t.Fatal(err)
	}
	live, _ := f.login(t, u, false)
	tokens := map[string]string{
		"empty":        "",
		"garbage":      "not a token",
		"too long":     strings.Repeat("A", 5000),
		"one short":    live[:42],
		"one long":     live + "A",
		"bad alphabet": live[:42] + "+",
		"unknown":      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"expired":      expired,
		"revoked":      revoked,
		"api token":    session.TokenPrefix + live,
	}
	var first error
	for name, tok := range tokens {
		_, err := f.m.Validate(ctx, tok)
		wantUnauthenticated(t, name, err)
		if first == nil {
			first = err
			continue
		}
		if err.Error() != first.Error() {
			t.Errorf("%s: err = %q, others %q", name, err, first)
		}
		k1, m1, a1, f1 := errs.Public(err)
		k2, m2, a2, f2 := errs.Public(first)
		if diff := cmp.Diff([]any{k1, m1, a1, f1}, []any{k2, m2, a2, f2}); diff != "" {
			t.Errorf("%s: public error differs:\n%s", name, diff)
		}
	}
	if _, err := f.m.Validate(ctx, live); err != nil {
		t.Errorf("Validate(live) = %v", err)
	}
}

func TestRevokeAndList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, v := f.user(t, identity.RoleAdmin), f.user(t, identity.RoleAdmin)
	tokA, a := f.login(t, u, false)
	tokB, b := f.login(t, u, false)
	tokC, c := f.login(t, u, false)
	tokV, _ := f.login(t, v, false)
	for _, tok := range []string{tokA, tokB, tokC, tokV} {
		if _, err := f.m.Validate(ctx, tok); err != nil { // warm the cache
			t.Fatal(err)
		}
	}
	list, err := f.m.List(ctx, u.OrgID, u.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %d sessions, %v; want 3", len(list), err)
	}

	// Ids of another person or practice, and unknown reasons, are refused.
	if err := f.m.Revoke(ctx, u.OrgID, v.ID, a.ID, session.ReasonRevoked); !errs.Is(err, errs.NotFound) {
		t.Errorf("Revoke as another person = %v, want NotFound", err)
	}
	if err := f.m.Revoke(ctx, u.OrgID, u.ID, a.ID, "because"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Revoke with an unknown reason = %v, want Invalid", err)
	}
	if err := f.m.Revoke(ctx, u.OrgID, u.ID, a.ID, session.ReasonRevoked); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	_, err = f.m.Validate(ctx, tokA)
	wantUnauthenticated(t, "Validate after Revoke", err)
	if err := f.m.Revoke(ctx, u.OrgID, u.ID, a.ID, session.ReasonRevoked); err != nil {
		t.Errorf("second Revoke = %v, want nil", err)
	}

	// A password change ends every other session of the person.
	n, err := f.m.RevokeUser(ctx, u.OrgID, u.ID, c.ID, session.ReasonPasswordChanged)
	if err != nil || n != 1 {
		t.Fatalf("RevokeUser = %d, %v; want 1", n, err)
	}
	_, err = f.m.Validate(ctx, tokB)
	wantUnauthenticated(t, "Validate after RevokeUser", err)
	for _, tok := range []string{tokC, tokV} {
		if _, err := f.m.Validate(ctx, tok); err != nil {
			t.Errorf("RevokeUser ended a session it should have kept: %v", err)
		}
	}
	list, err = f.m.List(ctx, u.OrgID, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("List after revocations = %+v, %v; want only %s", list, err, c.ID)
	}
	_ = b

	// Deactivation: all of them.
	if n, err := f.m.RevokeUser(ctx, u.OrgID, u.ID, "", session.ReasonDeactivated); err != nil || n != 1 {
		t.Errorf("RevokeUser(all) = %d, %v", n, err)
	}
	_, err = f.m.Validate(ctx, tokC)
	wantUnauthenticated(t, "Validate after deactivation", err)

	// Idle sessions drop out of the list.
	f.clk.Advance(16 * time.Minute)
	if list, err := f.m.List(ctx, v.OrgID, v.ID); err != nil || len(list) != 0 {
		t.Errorf("List of an idle person = %+v, %v; want none", list, err)
	}
	if n, err := f.m.DeleteEnded(ctx, 0); err != nil || n != 3 {
		t.Errorf("DeleteEnded = %d, %v; want the 3 revoked sessions", n, err)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.login(t, f.user(t, identity.RolePatient), false)
	if err := f.m.Logout(ctx, tok); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := f.m.Validate(ctx, tok)
	wantUnauthenticated(t, "Validate after Logout", err)
	for _, tok := range []string{tok, "", "nonsense"} {
		if err := f.m.Logout(ctx, tok); err != nil {
			t.Errorf("Logout again = %v, want nil", err)
		}
	}
}

// TestConcurrentRevoke: while many goroutines validate one session, a
// Validate that starts after Revoke has returned never succeeds.
func TestConcurrentRevoke(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, identity.RoleTherapist)
	tok, s := f.login(t, u, false)

	var revoked atomic.Bool
	var after, late atomic.Int64 // validations started after Revoke returned; of those, successes
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			for n := 0; n < 200; {
				done := revoked.Load()
				_, err := f.m.Validate(ctx, tok)
				if err != nil && !errs.Is(err, errs.Unauthenticated) {
					t.Errorf("Validate: %v", err)
					return
				}
				if done {
					n++
					after.Add(1)
					if err == nil {
						late.Add(1)
					}
				}
			}
		})
	}
	close(start)
	if err := f.m.Revoke(ctx, u.OrgID, u.ID, s.ID, session.ReasonAdmin); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	revoked.Store(true)
	wg.Wait()
	if late.Load() != 0 || after.Load() == 0 {
		t.Errorf("%d of %d validations started after Revoke returned succeeded, want none", late.Load(), after.Load())
	}
}
