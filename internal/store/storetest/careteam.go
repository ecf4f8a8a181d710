package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/store"
)

func wantOnCareTeam(t *testing.T, db *store.DB, orgID, clinicianID, patientID string, want bool) {
	t.Helper()
	got, err := db.IsOnCareTeam(context.Background(), orgID, clinicianID, patientID)
	if err != nil || got != want {
		t.Fatalf("IsOnCareTeam = %v, %v; want %v", got, err, want)
	}
}

func testCareRelationships(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, other := MustOrganization(t, db), MustOrganization(t, db)
	th := MustUser(t, db, org.ID, identity.RoleTherapist)
	sup := MustUser(t, db, org.ID, identity.RoleSupervisor)
	pt := MustUser(t, db, org.ID, identity.RolePatient)

	wantOnCareTeam(t, db, org.ID, th.ID, pt.ID, false)
	c, err := db.StartCareRelationship(ctx, org.ID, th.ID, pt.ID, true)
	if err != nil {
		t.Fatalf("StartCareRelationship: %v", err)
	}
	if c.ID == "" || c.OrgID != org.ID || c.TherapistID != th.ID || c.PatientID != pt.ID || !c.Primary || !c.Active() {
		t.Errorf("StartCareRelationship = %+v", c)
	}
	wantRecent(t, "StartedAt", c.StartedAt)
	wantOnCareTeam(t, db, org.ID, th.ID, pt.ID, true)
	wantOnCareTeam(t, db, other.ID, th.ID, pt.ID, false)
	wantOnCareTeam(t, db, org.ID, sup.ID, pt.ID, false)

	_, err = db.StartCareRelationship(ctx, org.ID, th.ID, pt.ID, false)
	wantKind(t, err, errs.Conflict) // already active

	// A supervisor may treat too, but not as a second primary therapist.
	_, err = db.StartCareRelationship(ctx, org.ID, sup.ID, pt.ID, true)
	wantKind(t, err, errs.Conflict)
	c2, err := db.StartCareRelationship(ctx, org.ID, sup.ID, pt.ID, false)
	if err != nil {
		t.Fatalf("StartCareRelationship(supervisor, secondary): %v", err)
	}
	wantOnCareTeam(t, db, org.ID, sup.ID, pt.ID, true)

	list, err := db.CareRelationships(ctx, identity.CareRelationshipFilter{OrgID: org.ID, PatientID: &pt.ID})
	if err != nil {
		t.Fatalf("CareRelationships: %v", err)
	}
	if diff := cmp.Diff([]identity.CareRelationship{c, c2}, list); diff != "" {
		t.Errorf("CareRelationships mismatch (-want +got):\n%s", diff)
	}

	ended, err := db.EndCareRelationship(ctx, org.ID, c.ID)
	if err != nil {
		t.Fatalf("EndCareRelationship: %v", err)
	}
	if ended.Active() || ended.EndedAt.Before(ended.StartedAt) || ended.ID != c.ID {
		t.Errorf("EndCareRelationship = %+v", ended)
	}
	wantOnCareTeam(t, db, org.ID, th.ID, pt.ID, false)
	_, err = db.EndCareRelationship(ctx, org.ID, c.ID)
	wantKind(t, err, errs.Conflict) // already ended
	_, err = db.EndCareRelationship(ctx, other.ID, c2.ID)
	wantKind(t, err, errs.NotFound) // another practice
	_, err = db.EndCareRelationship(ctx, org.ID, "00000000-0000-7000-8000-000000000000")
	wantKind(t, err, errs.NotFound)

	active, err := db.CareRelationships(ctx, identity.CareRelationshipFilter{OrgID: org.ID, Active: ptr(true)})
	if err != nil || len(active) != 1 || active[0].ID != c2.ID {
		t.Errorf("CareRelationships(active) = %+v, %v", active, err)
	}
	past, err := db.CareRelationships(ctx, identity.CareRelationshipFilter{OrgID: org.ID, TherapistID: &th.ID, Active: ptr(false)})
	if err != nil || len(past) != 1 || past[0].ID != c.ID || past[0].EndedAt == nil || !past[0].EndedAt.Equal(*ended.EndedAt) {
		t.Errorf("CareRelationships(ended) = %+v, %v", past, err)
	}

	// Ending frees both the pair and the primary slot.
	again, err := db.StartCareRelationship(ctx, org.ID, th.ID, pt.ID, true)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if again.ID == c.ID {
		t.Error("restart reused the ended relationship's id")
	}
	wantOnCareTeam(t, db, org.ID, th.ID, pt.ID, true)

	// A deactivated clinician is off the care team at once.
	if _, err := db.UpdateUser(ctx, org.ID, th.ID, th.Version, identity.UserUpdate{Status: ptr(identity.StatusDeactivated)}); err != nil {
		t.Fatal(err)
	}
	wantOnCareTeam(t, db, org.ID, th.ID, pt.ID, false)

	_, err = db.CareRelationships(ctx, identity.CareRelationshipFilter{})
	wantKind(t, err, errs.Invalid)
}

func testCareRelationshipRules(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, other := MustOrganization(t, db), MustOrganization(t, db)
	th := MustUser(t, db, org.ID, identity.RoleTherapist)
	pt := MustUser(t, db, org.ID, identity.RolePatient)
	pt2 := MustUser(t, db, org.ID, identity.RolePatient)
	staff := MustUser(t, db, org.ID, identity.RoleStaff)
	admin := MustUser(t, db, org.ID, identity.RoleAdmin)
	gone := MustUser(t, db, org.ID, identity.RoleTherapist)
	if _, err := db.UpdateUser(ctx, org.ID, gone.ID, 1, identity.UserUpdate{Status: ptr(identity.StatusDeactivated)}); err != nil {
		t.Fatal(err)
	}
	gonePt := MustUser(t, db, org.ID, identity.RolePatient)
	if _, err := db.UpdateUser(ctx, org.ID, gonePt.ID, 1, identity.UserUpdate{Status: ptr(identity.StatusDeactivated)}); err != nil {
		t.Fatal(err)
	}
	foreignTh := MustUser(t, db, other.ID, identity.RoleTherapist)
	foreignPt := MustUser(t, db, other.ID, identity.RolePatient)

	tests := []struct {
		name               string
		clinician, patient string
		wantField, wantMsg string
	}{
		{"patient as clinician", pt2.ID, pt.ID, "therapist_id", "field.invalid_role"},
		{"staff as clinician", staff.ID, pt.ID, "therapist_id", "field.invalid_role"},
		{"admin as clinician", admin.ID, pt.ID, "therapist_id", "field.invalid_role"},
		{"therapist as patient", th.ID, gone.ID, "patient_id", "field.invalid_role"},
		{"deactivated clinician", gone.ID, pt.ID, "therapist_id", "field.inactive"},
		{"deactivated patient", th.ID, gonePt.ID, "patient_id", "field.inactive"},
		{"clinician of another practice", foreignTh.ID, pt.ID, "therapist_id", "field.unknown"},
		{"patient of another practice", th.ID, foreignPt.ID, "patient_id", "field.unknown"},
		{"unknown clinician", "00000000-0000-7000-8000-000000000000", pt.ID, "therapist_id", "field.unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.StartCareRelationship(ctx, org.ID, tt.clinician, tt.patient, false)
			wantKind(t, err, errs.Invalid)
			wantField(t, err, tt.wantField, tt.wantMsg)
		})
	}
	list, err := db.CareRelationships(ctx, identity.CareRelationshipFilter{OrgID: org.ID})
	if err != nil || len(list) != 0 {
		t.Errorf("rejected starts left relationships: %+v, %v", list, err)
	}
}

// testCrossPracticeSchema bypasses every Go check to show that the schema's
// composite foreign keys alone make a cross-practice link impossible.
func testCrossPracticeSchema(t *testing.T, db *store.DB) {
	org, other := MustOrganization(t, db), MustOrganization(t, db)
	th := MustUser(t, db, org.ID, identity.RoleTherapist)
	pt := MustUser(t, db, org.ID, identity.RolePatient)
	foreignPt := MustUser(t, db, other.ID, identity.RolePatient)
	sup := MustUser(t, db, other.ID, identity.RoleSupervisor)
	insertCare := `INSERT INTO care_relationships (id, org_id, therapist_id, patient_id, is_primary, started_at)
		VALUES (?, ?, ?, ?, FALSE, '2020-01-01T00:00:00.000000Z')`
	for _, orgID := range []string{org.ID, other.ID} {
		if err := rawExec(db, insertCare, "raw-"+orgID, orgID, th.ID, foreignPt.ID); err == nil {
			t.Errorf("schema accepted a care relationship across practices (org_id %s)", orgID)
		}
	}
	insertSup := `INSERT INTO supervisions (id, org_id, supervisor_id, therapist_id, started_at)
		VALUES (?, ?, ?, ?, '2020-01-01T00:00:00.000000Z')`
	if err := rawExec(db, insertSup, "raw-sup", other.ID, sup.ID, th.ID); err == nil {
		t.Error("schema accepted a supervision across practices")
	}
	// Control: the same statement within one practice succeeds, so the
	// failures above came from the foreign keys.
	if err := rawExec(db, insertCare, "raw-ok", org.ID, th.ID, pt.ID); err != nil {
		t.Errorf("control insert failed: %v", err)
	}
}

func testSupervisions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, other := MustOrganization(t, db), MustOrganization(t, db)
	sup := MustUser(t, db, org.ID, identity.RoleSupervisor)
	sup2 := MustUser(t, db, org.ID, identity.RoleSupervisor)
	th := MustUser(t, db, org.ID, identity.RoleTherapist)
	pt := MustUser(t, db, org.ID, identity.RolePatient)
	foreignTh := MustUser(t, db, other.ID, identity.RoleTherapist)

	s, err := db.StartSupervision(ctx, org.ID, sup.ID, th.ID)
	if err != nil {
		t.Fatalf("StartSupervision: %v", err)
	}
	if s.SupervisorID != sup.ID || s.TherapistID != th.ID || s.OrgID != org.ID || !s.Active() {
		t.Errorf("StartSupervision = %+v", s)
	}
	if ok, err := db.Supervises(ctx, org.ID, sup.ID, th.ID); err != nil || !ok {
		t.Errorf("Supervises = %v, %v; want true", ok, err)
	}
	if ok, err := db.Supervises(ctx, org.ID, th.ID, sup.ID); err != nil || ok {
		t.Errorf("Supervises(reversed) = %v, %v; want false", ok, err)
	}
	_, err = db.StartSupervision(ctx, org.ID, sup.ID, th.ID)
	wantKind(t, err, errs.Conflict)
	s2, err := db.StartSupervision(ctx, org.ID, sup.ID, sup2.ID) // supervisors can be supervised
	if err != nil {
		t.Fatalf("StartSupervision(supervisor): %v", err)
	}

	for _, tt := range []struct {
		name, supervisor, therapist, field, msg string
	}{
		{"therapist as supervisor", th.ID, sup2.ID, "supervisor_id", "field.invalid_role"},
		{"patient as supervisee", sup.ID, pt.ID, "therapist_id", "field.invalid_role"},
		{"self", sup.ID, sup.ID, "therapist_id", "field.same_user"},
		{"another practice", sup.ID, foreignTh.ID, "therapist_id", "field.unknown"},
	} {
		_, err := db.StartSupervision(ctx, org.ID, tt.supervisor, tt.therapist)
		wantKind(t, err, errs.Invalid)
		wantField(t, err, tt.field, tt.msg)
	}

	list, err := db.Supervisions(ctx, identity.SupervisionFilter{OrgID: org.ID, SupervisorID: &sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]identity.Supervision{s, s2}, list); diff != "" {
		t.Errorf("Supervisions mismatch (-want +got):\n%s", diff)
	}
	ended, err := db.EndSupervision(ctx, org.ID, s.ID)
	if err != nil || ended.Active() {
		t.Fatalf("EndSupervision = %+v, %v", ended, err)
	}
	if ok, err := db.Supervises(ctx, org.ID, sup.ID, th.ID); err != nil || ok {
		t.Errorf("Supervises after end = %v, %v; want false", ok, err)
	}
	_, err = db.EndSupervision(ctx, org.ID, s.ID)
	wantKind(t, err, errs.Conflict)
	_, err = db.EndSupervision(ctx, other.ID, s2.ID)
	wantKind(t, err, errs.NotFound)
	active, err := db.Supervisions(ctx, identity.SupervisionFilter{OrgID: org.ID, TherapistID: &th.ID, Active: ptr(true)})
	if err != nil || len(active) != 0 {
		t.Errorf("Supervisions(active) = %+v, %v; want none", active, err)
	}
	if _, err := db.StartSupervision(ctx, org.ID, sup.ID, th.ID); err != nil {
		t.Errorf("restart supervision: %v", err)
	}
}
