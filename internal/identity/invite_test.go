package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestInvitations(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, storetest.NewKeyStoreSQLite(t))
	acc := newAccounts(t, f, cheap)
	compose := func(link string) (string, string) { return "You are invited", "Open " + link }

	if err := acc.Invite(ctx, f.ther, "new@clinic.example", identity.RoleTherapist, "https://care.example", compose); !errs.Is(err, errs.Forbidden) {
		t.Errorf("therapist inviting: %v, want Forbidden", err)
	}
	err := acc.Invite(ctx, f.admin, "not an email", "owner", "https://care.example", compose)
	if _, _, _, fields := errs.Public(err); !errs.Is(err, errs.Invalid) || len(fields) != 2 {
		t.Errorf("bad invitation: %v %+v", err, fields)
	}
	if err := acc.Invite(ctx, f.admin, "New@Clinic.example", identity.RoleTherapist, "https://care.example", compose); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	msgs, err := f.mail.List(ctx, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(msgs), err)
	}
	m, err := f.mail.Read(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.To.Reveal() != "new@clinic.example" || m.Subject != "You are invited" {
		t.Errorf("message to %q subject %q", m.To.Reveal(), m.Subject)
	}
	i := strings.Index(m.Text, "https://care.example/invite/")
	if i < 0 {
		t.Fatalf("no link in the message")
	}
	token := strings.Fields(m.Text[i+len("https://care.example/invite/"):])[0]
	if role, err := acc.CheckInvitation(ctx, token); err != nil || role != identity.RoleTherapist {
		t.Fatalf("CheckInvitation = %s, %v", role, err)
	}

	// Weak password: every problem, invitation still usable.
	if _, err := acc.AcceptInvitation(ctx, token, identity.AcceptInput{Name: "", Password: "short"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad acceptance: %v", err)
	}
	actor, err := acc.AcceptInvitation(ctx, token, identity.AcceptInput{Name: "Theo Therapist", Password: "a long and unusual passphrase"})
	if err != nil || actor.Role != identity.RoleTherapist {
		t.Fatalf("AcceptInvitation: %+v, %v", actor, err)
	}
	if _, err := acc.AcceptInvitation(ctx, token, identity.AcceptInput{Name: "X", Password: "a long and unusual passphrase"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("invitation reused: %v", err)
	}
	// Opening the invitation's address was audited.
	joins, err := db.AuditEntries(ctx, audit.Filter{OrgID: f.org, Action: ptr("people.join"), Limit: 10})
	if err != nil || len(joins) < 1 {
		t.Errorf("acceptance not audited: %d entries, %v", len(joins), err)
	}
	// The new person signs in with the invited email.
	res, err := acc.Authenticate(ctx, ratelimit.NewMemoryBackoff(), f.org, "new@clinic.example", "a long and unusual passphrase")
	if err != nil || res.User.ID != actor.UserID {
		t.Errorf("sign-in after acceptance: %v", err)
	}
	// The same email cannot be invited again.
	if err := acc.Invite(ctx, f.admin, "new@clinic.example", identity.RolePatient, "https://care.example", compose); !errs.Is(err, errs.Conflict) {
		t.Errorf("inviting a member's email: %v, want Conflict", err)
	}
}
