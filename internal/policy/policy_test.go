package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// careTeam is an in-memory Relations: clinician → patients.
type careTeam map[string]map[string]bool

func (c careTeam) IsOnCareTeam(ctx context.Context, orgID, clinicianID, patientID string) (bool, error) {
	if orgID == "broken" {
		return false, errors.New("db down")
	}
	return c[clinicianID][patientID], nil
}

// TestProfileMatrix walks every role × relationship × action cell for
// profiles. want is the error kind, or -1 for allowed.
func TestProfileMatrix(t *testing.T) {
	const allowed = errs.Kind(255)
	team := careTeam{"ther": {"pat": true}, "sup": {"pat": true}}
	p := New(team)
	patient := identity.Subject{OrgID: "org", UserID: "pat", Role: identity.RolePatient}
	otherPatient := identity.Subject{OrgID: "org", UserID: "pat2", Role: identity.RolePatient}
	therapistSubject := identity.Subject{OrgID: "org", UserID: "ther2", Role: identity.RoleTherapist}
	foreign := identity.Subject{OrgID: "org2", UserID: "pat9", Role: identity.RolePatient}
	actor := func(id string, r identity.Role) identity.Actor {
		return identity.Actor{UserID: id, OrgID: "org", Role: r}
	}

	tests := []struct {
		name    string
		actor   identity.Actor
		action  identity.Action
		subject identity.Subject
		want    errs.Kind
	}{
		{"patient reads self", actor("pat", identity.RolePatient), identity.ActionReadProfile, patient, allowed},
		{"patient writes self", actor("pat", identity.RolePatient), identity.ActionWriteProfile, patient, allowed},
		{"patient reads another patient", actor("pat", identity.RolePatient), identity.ActionReadProfile, otherPatient, errs.NotFound},
		{"patient reads a therapist", actor("pat", identity.RolePatient), identity.ActionReadProfile, therapistSubject, errs.NotFound},
		{"therapist reads own patient", actor("ther", identity.RoleTherapist), identity.ActionReadProfile, patient, allowed},
		{"therapist writes own patient", actor("ther", identity.RoleTherapist), identity.ActionWriteProfile, patient, errs.Forbidden},
		{"therapist reads patient not on team", actor("ther", identity.RoleTherapist), identity.ActionReadProfile, otherPatient, errs.NotFound},
		{"therapist reads another therapist", actor("ther", identity.RoleTherapist), identity.ActionReadProfile, therapistSubject, errs.NotFound},
		{"supervisor reads patient on own team", actor("sup", identity.RoleSupervisor), identity.ActionReadProfile, patient, allowed},
		{"supervisor reads patient not on team", actor("sup", identity.RoleSupervisor), identity.ActionReadProfile, otherPatient, errs.NotFound},
		{"staff reads a patient", actor("staff", identity.RoleStaff), identity.ActionReadProfile, otherPatient, allowed},
		{"staff writes a patient", actor("staff", identity.RoleStaff), identity.ActionWriteProfile, otherPatient, allowed},
		{"admin writes a therapist", actor("adm", identity.RoleAdmin), identity.ActionWriteProfile, therapistSubject, allowed},
		{"admin of another practice", actor("adm", identity.RoleAdmin), identity.ActionReadProfile, foreign, errs.NotFound},
		{"therapist of another practice", actor("ther", identity.RoleTherapist), identity.ActionReadProfile, foreign, errs.NotFound},
		{"no actor", identity.Actor{}, identity.ActionReadProfile, patient, errs.Unauthenticated},
		{"admin searches the audit log", actor("adm", identity.RoleAdmin), identity.ActionSearchAudit, identity.Subject{OrgID: "org"}, allowed},
		{"therapist searches the audit log", actor("ther", identity.RoleTherapist), identity.ActionSearchAudit, identity.Subject{OrgID: "org"}, errs.Forbidden},
		{"staff searches the audit log", actor("staff", identity.RoleStaff), identity.ActionSearchAudit, identity.Subject{OrgID: "org"}, errs.Forbidden},
		{"admin of another practice searches", actor("adm", identity.RoleAdmin), identity.ActionSearchAudit, identity.Subject{OrgID: "org2"}, errs.NotFound},
		{"patient reads own access log", actor("pat", identity.RolePatient), identity.ActionReadAccessLog, patient, allowed},
		{"patient reads another's access log", actor("pat", identity.RolePatient), identity.ActionReadAccessLog, otherPatient, errs.Forbidden},
		{"therapist reads a patient's access log", actor("ther", identity.RoleTherapist), identity.ActionReadAccessLog, patient, errs.Forbidden},
		{"admin invites", actor("adm", identity.RoleAdmin), identity.ActionInvite, identity.Subject{OrgID: "org"}, allowed},
		{"therapist invites", actor("ther", identity.RoleTherapist), identity.ActionInvite, identity.Subject{OrgID: "org"}, errs.Forbidden},
		{"patient invites", actor("pat", identity.RolePatient), identity.ActionInvite, identity.Subject{OrgID: "org"}, errs.Forbidden},
		{"staff lists people", actor("staff", identity.RoleStaff), identity.ActionListPeople, identity.Subject{OrgID: "org"}, allowed},
		{"therapist lists people", actor("ther", identity.RoleTherapist), identity.ActionListPeople, identity.Subject{OrgID: "org"}, errs.Forbidden},
		{"admin manages people", actor("adm", identity.RoleAdmin), identity.ActionManagePeople, patient, allowed},
		{"staff manages people", actor("staff", identity.RoleStaff), identity.ActionManagePeople, patient, errs.Forbidden},
		{"unknown action", actor("adm", identity.RoleAdmin), identity.Action("profile.delete_everything"), patient, errs.Forbidden},
		{"relations fail: deny", identity.Actor{UserID: "ther", OrgID: "broken", Role: identity.RoleTherapist}, identity.ActionReadProfile, identity.Subject{OrgID: "broken", UserID: "pat", Role: identity.RolePatient}, errs.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := p.Authorize(context.Background(), tt.actor, tt.action, tt.subject)
			if tt.want == allowed {
				if err != nil || !dec.Allowed || dec.Reason == "" {
					t.Errorf("got %+v, %v; want allowed with a reason", dec, err)
				}
				return
			}
			if err == nil || dec.Allowed {
				t.Fatalf("got %+v, %v; want denied with %v", dec, err, tt.want)
			}
			if got := errs.KindOf(err); got != tt.want {
				t.Errorf("kind = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEndedRelationshipDeniesNextCall: decisions read relationships each
// time, so no grant is cached.
func TestEndedRelationshipDeniesNextCall(t *testing.T) {
	team := careTeam{"ther": {"pat": true}}
	p := New(team)
	a := identity.Actor{UserID: "ther", OrgID: "org", Role: identity.RoleTherapist}
	s := identity.Subject{OrgID: "org", UserID: "pat", Role: identity.RolePatient}
	if _, err := p.Authorize(context.Background(), a, identity.ActionReadProfile, s); err != nil {
		t.Fatalf("before: %v", err)
	}
	team["ther"]["pat"] = false
	if _, err := p.Authorize(context.Background(), a, identity.ActionReadProfile, s); !errs.Is(err, errs.NotFound) {
		t.Errorf("after ending: %v, want NotFound", err)
	}
}
