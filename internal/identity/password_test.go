package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestPasswordChangeAndReset(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, storetest.NewKeyStoreSQLite(t))
	acc := newAccounts(t, f, cheap)
	email := "pat@example.org"
	if _, err := f.svc.SetProfile(ctx, f.patient, f.patient.UserID, 0, identity.ProfileInput{Email: &email, LegalName: ptr("Pat Patient")}); err != nil {
		t.Fatal(err)
	}
	first := "river stone quiet evening"
	if err := db.SetPasswordHash(ctx, f.org, f.patient.UserID, mustHash(t, first)); err != nil {
		t.Fatal(err)
	}

	// Change: the current password must be right; the new one must pass.
	err := acc.ChangePassword(ctx, f.patient, "wrong current", "another fine passphrase")
	if _, _, _, fields := errs.Public(err); len(fields) != 1 || fields[0].Field != "current_password" {
		t.Errorf("wrong current password: %v", err)
	}
	if err := acc.ChangePassword(ctx, f.patient, first, "pat patient rocks"); !errs.Is(err, errs.Invalid) {
		t.Errorf("a password with the person's name: %v", err)
	}
	second := "another fine passphrase"
	if err := acc.ChangePassword(ctx, f.patient, first, second); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if _, err := acc.Authenticate(ctx, ratelimit.NewMemoryBackoff(), f.org, email, second); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}

	// Reset: a link is mailed only for a known address; it works once.
	compose := func(link string) (string, string) { return "Reset", "Open " + link }
	if err := acc.RequestPasswordReset(ctx, f.org, "nobody@example.org", "https://care.example", compose); err != nil {
		t.Errorf("reset for an unknown address: %v, want the same silent success", err)
	}
	if err := acc.RequestPasswordReset(ctx, f.org, "PAT@example.org", "https://care.example", compose); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.mail.List(ctx, 10)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1 (none for the unknown address)", len(msgs))
	}
	m, _ := f.mail.Read(ctx, msgs[0].ID)
	token := strings.Fields(m.Text[strings.Index(m.Text, "/reset/")+len("/reset/"):])[0]
	third := "yet another good passphrase"
	actor, err := acc.ResetPassword(ctx, token, third)
	if err != nil || actor.UserID != f.patient.UserID {
		t.Fatalf("ResetPassword: %+v, %v", actor, err)
	}
	if _, err := acc.ResetPassword(ctx, token, "and one more passphrase"); !errs.Is(err, errs.NotFound) {
		t.Errorf("reset link reused: %v", err)
	}
	if _, err := acc.Authenticate(ctx, ratelimit.NewMemoryBackoff(), f.org, email, third); err != nil {
		t.Errorf("sign in after reset: %v", err)
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := newHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	phc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return phc
}
