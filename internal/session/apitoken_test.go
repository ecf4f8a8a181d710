package session_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
)

func TestAPITokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, identity.RoleTherapist)
	exp := f.clk.Now().Add(30 * 24 * time.Hour)
	secret, tok, err := f.m.CreateToken(ctx, u.OrgID, u.ID, "Backup script",
		[]string{"profile:read", "audit:read", "profile:read"}, exp)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !strings.HasPrefix(secret, "astral_pat_") || len(secret) != len("astral_pat_")+43 {
		t.Errorf("secret has the wrong shape (%d characters)", len(secret))
	}
	if !slices.Equal(tok.Scopes, []session.Scope{session.ScopeAuditRead, session.ScopeProfileRead}) ||
		!tok.Allows(session.ScopeProfileRead) || tok.Allows(session.ScopeProfileWrite) {
		t.Errorf("Scopes = %v, want audit:read and profile:read, deduplicated", tok.Scopes)
	}

	got, err := f.m.ValidateToken(ctx, secret)
	if err != nil {
		t.Fatalf("ValidateToken: %v", err)
	}
	if got.ID != tok.ID || got.Role != identity.RoleTherapist || !got.Active || got.LastUsedAt == nil {
		t.Errorf("ValidateToken = %+v", got)
	}
	// Use is written at most once a minute.
	lastUsed := func() time.Time {
		t.Helper()
		list, err := f.m.ListTokens(ctx, u.OrgID, u.ID)
		if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}
		return *list[0].LastUsedAt
	}
	first := lastUsed()
	f.clk.Advance(59 * time.Second)
	if _, err := f.m.ValidateToken(ctx, secret); err != nil || !lastUsed().Equal(first) {
		t.Errorf("use after 59s: %v; last used %v, want still %v", err, lastUsed(), first)
	}
	f.clk.Advance(time.Second)
	if _, err := f.m.ValidateToken(ctx, secret); err != nil || !lastUsed().Equal(f.clk.Now()) {
		t.Errorf("use after 60s: %v; last used %v, want now", err, lastUsed())
	}

	// Failures are all the same.
	expiring, _, err := f.m.CreateToken(ctx, u.OrgID, u.ID, "Short", []string{"profile:read"}, f.clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	revoked, rt, err := f.m.CreateToken(ctx, u.OrgID, u.ID, "Revoked", []string{"profile:read"}, exp)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.RevokeToken(ctx, u.OrgID, u.ID, rt.ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := f.m.RevokeToken(ctx, u.OrgID, "someone-else", rt.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("RevokeToken of another person = %v, want NotFound", err)
	}
	f.clk.Advance(time.Hour)
	var first5 error
	for name, s := range map[string]string{
		"expired":     expiring,
		"revoked":     revoked,
		"unknown":     "astral_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"no prefix":   secret[len("astral_pat_"):],
		"malformed":   "astral_pat_!!",
		"empty":       "",
		"session-ish": strings.Repeat("A", 43),
	} {
		_, err := f.m.ValidateToken(ctx, s)
		wantUnauthenticated(t, name, err)
		if first5 != nil && err.Error() != first5.Error() {
			t.Errorf("%s: err = %q, others %q", name, err, first5)
		}
		first5 = err
	}

	// A deactivated person's tokens stop working at once.
	status := identity.StatusDeactivated
	if _, err := f.db.UpdateUser(ctx, u.OrgID, u.ID, u.Version, identity.UserUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.ValidateToken(ctx, secret)
	wantUnauthenticated(t, "token of a deactivated person", err)

	list, err := f.m.ListTokens(ctx, u.OrgID, u.ID)
	if err != nil || len(list) != 2 {
		t.Errorf("ListTokens = %d tokens, %v; want the 2 unrevoked", len(list), err)
	}
}

func TestCreateTokenRefuses(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, identity.RolePatient)
	now := f.clk.Now()
	ok := []string{"profile:read"}
	tests := []struct {
		name    string
		tokName string
		scopes  []string
		exp     time.Time
		field   string
	}{
		{"no name", "", ok, now.Add(time.Hour), "name"},
		{"long name", strings.Repeat("x", 101), ok, now.Add(time.Hour), "name"},
		{"bad utf-8", "\xff", ok, now.Add(time.Hour), "name"},
		{"no scopes", "n", nil, now.Add(time.Hour), "scopes"},
		{"unknown scope", "n", []string{"profile:read", "admin:all"}, now.Add(time.Hour), "scopes"},
		{"expired", "n", ok, now, "expires_at"},
		{"too long-lived", "n", ok, now.Add(367 * 24 * time.Hour), "expires_at"},
	}
	for _, tt := range tests {
		_, _, err := f.m.CreateToken(context.Background(), u.OrgID, u.ID, tt.tokName, tt.scopes, tt.exp)
		_, _, _, fields := errs.Public(err)
		if !errs.Is(err, errs.Invalid) || !slices.ContainsFunc(fields, func(fe errs.FieldError) bool { return fe.Field == tt.field }) {
			t.Errorf("%s: err = %v, fields %+v; want Invalid on %s", tt.name, err, fields, tt.field)
		}
	}
	// The caller's list of scopes is what counts.
	m := session.New(f.db, nil, session.Options{Now: f.clk.Now, Scopes: []session.Scope{session.ScopeProfileRead}})
	if _, _, err := m.CreateToken(context.Background(), u.OrgID, u.ID, "n", []string{"audit:read"}, now.Add(time.Hour)); !errs.Is(err, errs.Invalid) {
		t.Errorf("CreateToken with a scope outside Options.Scopes = %v, want Invalid", err)
	}
}
