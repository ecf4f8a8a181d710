package identity_test

import (
	"context"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/policy"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, storetest.NewKeyStoreSQLite(t))
	log := identity.NewAuditLog(f.recorder, policy.New(db), f.recorder)

	// The therapist on the care team reads the patient's profile; a
	// stranger tries and is refused.
	if _, err := f.svc.SetProfile(ctx, f.patient, f.patient.UserID, 0, identity.ProfileInput{LegalName: ptr("Pat")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Profile(ctx, f.ther, f.patient.UserID); err != nil {
		t.Fatal(err)
	}
	_, _ = f.svc.Profile(ctx, f.stranger, f.patient.UserID)

	// The patient sees every access to their record, including the refusal.
	entries, err := log.AccessLog(ctx, f.patient, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.PatientID != f.patient.UserID {
			t.Errorf("access log holds an entry of another patient: %+v", e)
		}
		seen[e.ActorID+" "+e.Action+" "+string(e.Outcome)] = true
	}
	for _, want := range []string{
		f.patient.UserID + " profile.update success",
		f.ther.UserID + " profile.read success",
		f.stranger.UserID + " profile.read denied",
	} {
		if !seen[want] {
			t.Errorf("access log lacks %q (has %v)", want, seen)
		}
	}
	// Only the patient, and only their own.
	if _, err := log.AccessLog(ctx, f.ther, 0, 100); !errs.Is(err, errs.Forbidden) {
		t.Errorf("therapist reading an access log: %v", err)
	}

	// Admins search; others may not.
	action := "profile.read"
	res, err := log.Search(ctx, f.admin, identity.AuditQuery{Action: action, Limit: 50})
	if err != nil || len(res) < 2 {
		t.Errorf("admin search: %d entries, %v", len(res), err)
	}
	if _, err := log.Search(ctx, f.ther, identity.AuditQuery{}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("therapist search: %v", err)
	}
	res, err = log.Search(ctx, f.admin, identity.AuditQuery{Action: "audit.search", Limit: 50})
	if err != nil || len(res) < 1 {
		t.Errorf("searching is not itself audited: %d, %v", len(res), err)
	}

	// Fail closed: no audit, no reading of the log either.
	if err := f.recorder.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Search(ctx, f.admin, identity.AuditQuery{}); !errs.Is(err, errs.Unavailable) {
		t.Errorf("search with the recorder closed: %v", err)
	}
}
