package storetest

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/store"
)

// RunAccounts runs the contract of identity.AccountStore.
func RunAccounts(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"SetupToken", testSetupToken},
		{"Passwords", testPasswords},
		{"Invitations", testInvitations},
		{"OneTimeTokens", testOneTimeTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func testSetupToken(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if has, err := db.HasOrganizations(ctx); err != nil || has {
		t.Fatalf("HasOrganizations on an empty database = %v, %v", has, err)
	}
	h := hashOf("setup")
	if err := db.CreateSetupToken(ctx, h, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, err := db.SetupToken(ctx, h)
	if err != nil || tok.OrgID != "" {
		t.Fatalf("SetupToken = %+v, %v", tok, err)
	}
	org := MustOrganization(t, db)
	admin := MustUser(t, db, org.ID, identity.RoleAdmin)
	if err := db.RecordSetupProgress(ctx, h, org.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if tok, _ := db.SetupToken(ctx, h); tok.OrgID != org.ID || tok.AdminID != admin.ID {
		t.Errorf("progress not recorded: %+v", tok)
	}
	if has, _ := db.HasOrganizations(ctx); !has {
		t.Error("HasOrganizations = false after creating one")
	}
	if err := db.UseSetupToken(ctx, h); err != nil {
		t.Fatal(err)
	}
	wantKind(t, db.UseSetupToken(ctx, h), errs.NotFound)
	_, err = db.SetupToken(ctx, h)
	wantKind(t, err, errs.NotFound)
	_, err = db.SetupToken(ctx, hashOf("unknown"))
	wantKind(t, err, errs.NotFound)

	expired := hashOf("expired")
	if err := db.CreateSetupToken(ctx, expired, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = db.SetupToken(ctx, expired)
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.UseSetupToken(ctx, expired), errs.NotFound)
}

func testPasswords(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RolePatient)
	_, err := db.PasswordHash(ctx, org.ID, u.ID)
	wantKind(t, err, errs.NotFound)
	for _, h := range []string{"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaDI"} {
		if err := db.SetPasswordHash(ctx, org.ID, u.ID, h); err != nil {
			t.Fatal(err)
		}
		if got, err := db.PasswordHash(ctx, org.ID, u.ID); err != nil || got != h {
			t.Errorf("PasswordHash = %q, %v; want %q", got, err, h)
		}
	}
	// The schema refuses anything but an argon2id PHC string.
	wantKind(t, db.SetPasswordHash(ctx, org.ID, u.ID, "plaintext-password"), errs.Invalid)
	other := MustOrganization(t, db)
	_, err = db.PasswordHash(ctx, other.ID, u.ID)
	wantKind(t, err, errs.NotFound)
}

func testInvitations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	admin := MustUser(t, db, org.ID, identity.RoleAdmin)
	newInv := func(token string, expires time.Time) identity.Invitation {
		inv, err := db.CreateInvitation(ctx, identity.Invitation{OrgID: org.ID, Role: identity.RoleTherapist,
			Email: []byte("sealed"), EmailIndex: []byte("idx-" + token), TokenHash: hashOf(token), InvitedBy: admin.ID, ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	inv := newInv("a", time.Now().Add(72*time.Hour))
	got, err := db.InvitationByToken(ctx, hashOf("a"))
	if err != nil || got.ID != inv.ID || got.Role != identity.RoleTherapist {
		t.Fatalf("InvitationByToken = %+v, %v", got, err)
	}
	user := MustUser(t, db, org.ID, identity.RoleTherapist)
	// Two concurrent acceptances: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if db.UseInvitation(ctx, inv.ID, user.ID) == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d acceptances succeeded, want 1", wins.Load())
	}
	_, err = db.InvitationByToken(ctx, hashOf("a"))
	wantKind(t, err, errs.NotFound)

	expired := newInv("b", time.Now().Add(-time.Second))
	_, err = db.InvitationByToken(ctx, hashOf("b"))
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.UseInvitation(ctx, expired.ID, user.ID), errs.NotFound)

	revoked := newInv("c", time.Now().Add(time.Hour))
	if err := db.RevokeInvitation(ctx, org.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.InvitationByToken(ctx, hashOf("c"))
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.RevokeInvitation(ctx, org.ID, revoked.ID), errs.NotFound)

	list, err := db.Invitations(ctx, org.ID, 10)
	if err != nil || len(list) != 3 {
		t.Errorf("Invitations = %d, %v; want 3", len(list), err)
	}
	_, err = db.CreateInvitation(ctx, identity.Invitation{OrgID: org.ID, Role: "owner", Email: []byte("x"), EmailIndex: []byte("y"), TokenHash: hashOf("d"), InvitedBy: admin.ID, ExpiresAt: time.Now().Add(time.Hour)})
	wantKind(t, err, errs.Invalid)
}

func testOneTimeTokens(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RolePatient)
	mk := func(token string, p identity.TokenPurpose, expires time.Time) {
		if err := db.CreateOneTimeToken(ctx, identity.OneTimeToken{TokenHash: hashOf(token), OrgID: org.ID, UserID: u.ID, Purpose: p, ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	mk("reset", identity.PurposeResetPassword, time.Now().Add(30*time.Minute))
	// The wrong purpose does not use it.
	_, err := db.UseOneTimeToken(ctx, hashOf("reset"), identity.PurposeMagicLink)
	wantKind(t, err, errs.NotFound)
	tok, err := db.UseOneTimeToken(ctx, hashOf("reset"), identity.PurposeResetPassword)
	if err != nil || tok.UserID != u.ID || tok.UsedAt == nil {
		t.Fatalf("UseOneTimeToken = %+v, %v", tok, err)
	}
	_, err = db.UseOneTimeToken(ctx, hashOf("reset"), identity.PurposeResetPassword)
	wantKind(t, err, errs.NotFound)

	mk("old", identity.PurposeMagicLink, time.Now().Add(-time.Second))
	_, err = db.UseOneTimeToken(ctx, hashOf("old"), identity.PurposeMagicLink)
	wantKind(t, err, errs.NotFound)
	_, err = db.UseOneTimeToken(ctx, hashOf("never-issued"), identity.PurposeMagicLink)
	wantKind(t, err, errs.NotFound)

	// Concurrent uses of one magic link: exactly one succeeds.
	mk("race", identity.PurposeMagicLink, time.Now().Add(15*time.Minute))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := db.UseOneTimeToken(ctx, hashOf("race"), identity.PurposeMagicLink); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d uses succeeded, want 1", wins.Load())
	}
}
