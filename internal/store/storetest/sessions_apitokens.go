package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/store"
)

// apiTokenFor returns an unsaved API token of u created at t.
func apiTokenFor(u identity.User, name string, t time.Time) session.APIToken {
	return session.APIToken{
		ID: uuid.Must(uuid.NewV7()).String(), OrgID: u.OrgID, UserID: u.ID, Name: name,
		Scopes:    []session.Scope{session.ScopeAuditRead, session.ScopeProfileRead},
		CreatedAt: t, ExpiresAt: t.Add(30 * 24 * time.Hour),
	}
}

func mustAPIToken(t *testing.T, db *store.DB, u identity.User, name string, at time.Time) (session.APIToken, session.Hash) {
	t.Helper()
	tok, h := apiTokenFor(u, name, at), NewHash(t)
	if err := db.CreateAPIToken(context.Background(), tok, h); err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	return tok, h
}

func testAPITokens(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o, other := MustOrganization(t, db), MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleTherapist)
	v := MustUser(t, db, o.ID, identity.RoleTherapist)
	tok, h := mustAPIToken(t, db, u, "Backup script", sessionT0)
	newer, _ := mustAPIToken(t, db, u, "Laptop", sessionT0.Add(time.Hour))
	mustAPIToken(t, db, v, "Someone else's", sessionT0)

	got, err := db.APITokenByHash(ctx, h)
	if err != nil {
		t.Fatalf("APITokenByHash: %v", err)
	}
	want := tok
	want.Role, want.Active = identity.RoleTherapist, true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("APITokenByHash mismatch (-want +got):\n%s", diff)
	}
	_, err = db.APITokenByHash(ctx, NewHash(t))
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.CreateAPIToken(ctx, apiTokenFor(u, "Dup", sessionT0), h), errs.Conflict)
	wantKind(t, db.CreateAPIToken(ctx, apiTokenFor(u, "", sessionT0), NewHash(t)), errs.Invalid)

	// Use is recorded when last_used_at is unset or not later than "before".
	touches := []struct {
		at, before, want time.Time
	}{
		{sessionT0.Add(time.Minute), sessionT0, sessionT0.Add(time.Minute)},
		{sessionT0.Add(90 * time.Second), sessionT0.Add(30 * time.Second), sessionT0.Add(time.Minute)},
		{sessionT0.Add(2 * time.Minute), sessionT0.Add(time.Minute), sessionT0.Add(2 * time.Minute)},
	}
	for _, tc := range touches {
		if err := db.TouchAPIToken(ctx, tok.ID, tc.at, tc.before); err != nil {
			t.Fatalf("TouchAPIToken: %v", err)
		}
		got, _ := db.APITokenByHash(ctx, h)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(tc.want) {
			t.Errorf("TouchAPIToken(%v, %v): LastUsedAt = %v, want %v", tc.at, tc.before, got.LastUsedAt, tc.want)
		}
	}

	list, err := db.APITokens(ctx, o.ID, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != newer.ID || list[1].ID != tok.ID {
		t.Fatalf("APITokens = %+v, %v; want newest first", list, err)
	}

	// Revoking is scoped to the owner and idempotent.
	at := sessionT0.Add(time.Hour)
	wantKind(t, db.RevokeAPIToken(ctx, other.ID, u.ID, tok.ID, at), errs.NotFound)
	wantKind(t, db.RevokeAPIToken(ctx, o.ID, v.ID, tok.ID, at), errs.NotFound)
	if err := db.RevokeAPIToken(ctx, o.ID, u.ID, tok.ID, at); err != nil {
		t.Fatalf("RevokeAPIToken: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, o.ID, u.ID, tok.ID, at.Add(time.Hour)); err != nil {
		t.Fatalf("second RevokeAPIToken: %v", err)
	}
	got, _ = db.APITokenByHash(ctx, h)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at)
	}
	if list, _ := db.APITokens(ctx, o.ID, u.ID); len(list) != 1 || list[0].ID != newer.ID {
		t.Errorf("APITokens after revoke = %+v, want only the newer", list)
	}
}

// testAPITokenOwner shows that a token reads its owner's role and status at
// lookup time, so a role change or deactivation applies at once.
func testAPITokenOwner(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleStaff)
	_, h := mustAPIToken(t, db, u, "Export", sessionT0)
	role, status := identity.RoleAdmin, identity.StatusDeactivated
	if _, err := db.UpdateUser(ctx, o.ID, u.ID, 1, identity.UserUpdate{Role: &role, Status: &status}); err != nil {
		t.Fatal(err)
	}
	got, err := db.APITokenByHash(ctx, h)
	if err != nil || got.Role != identity.RoleAdmin || got.Active {
		t.Errorf("APITokenByHash after update = %+v, %v; want role admin, inactive", got, err)
	}
}
