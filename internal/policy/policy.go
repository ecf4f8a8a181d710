// Package policy decides every access to protected health information in one
// place, so that a reviewer can read the whole of it in an afternoon.
//
// A decision combines the actor's role, the relationship between the actor
// and the person whose data it is (self, care team, supervision, same
// practice) and the action. The default is deny. Relationships are read
// fresh for every decision, so ending a care relationship takes effect on
// the very next request.
//
// This first version covers people's profiles (the demographic PHI the
// identity service keeps); clinical actions join it as their domains land.
package policy

import (
	"context"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// Relations answers the relationship questions decisions need. The store
// implements it; answers must reflect the database at the time of the call.
type Relations interface {
	IsOnCareTeam(ctx context.Context, orgID, clinicianID, patientID string) (bool, error)
}

// Policy makes decisions.
type Policy struct {
	rel Relations
}

// New returns a policy over rel.
func New(rel Relations) *Policy { return &Policy{rel: rel} }

var _ identity.Authorizer = (*Policy)(nil)

// Authorize decides whether actor may do action to subject (see
// identity.Authorizer). It returns the decision and, when denied, an error
// for the caller to return: NotFound when
// the actor may not know the subject exists (another practice, a patient not
// on their care team), Forbidden when the actor may see the subject but not
// do this. A failure to read relationships is an Internal error: deny.
func (p *Policy) Authorize(ctx context.Context, actor identity.Actor, action identity.Action, subject identity.Subject) (identity.Decision, error) {
	if actor.UserID == "" || actor.OrgID == "" || !actor.Role.Valid() {
		return identity.Decision{Reason: "no_actor"}, errs.E(errs.Unauthenticated, "")
	}
	if actor.OrgID != subject.OrgID {
		return identity.Decision{Reason: "other_practice"}, errs.E(errs.NotFound, "")
	}
	switch action {
	case identity.ActionReadProfile, identity.ActionWriteProfile:
		return p.profile(ctx, actor, action, subject)
	case identity.ActionListPeople:
		if actor.Role == identity.RoleAdmin || actor.Role == identity.RoleStaff {
			return allow("practice_" + string(actor.Role))
		}
		return identity.Decision{Reason: "not_admin_or_staff"}, errs.E(errs.Forbidden, "")
	case identity.ActionInvite, identity.ActionManagePeople:
		if actor.Role == identity.RoleAdmin {
			return allow("practice_admin")
		}
		return identity.Decision{Reason: "not_admin"}, errs.E(errs.Forbidden, "")
	case identity.ActionSearchAudit:
		// Admins examine their practice's log (HIPAA 164.312(b)).
		if actor.Role == identity.RoleAdmin {
			return allow("practice_admin")
		}
		return identity.Decision{Reason: "not_admin"}, errs.E(errs.Forbidden, "")
	case identity.ActionReadAccessLog:
		// A patient sees who accessed their own record, and only theirs.
		if actor.Role == identity.RolePatient && actor.UserID == subject.UserID {
			return allow("self")
		}
		return identity.Decision{Reason: "not_own_record"}, errs.E(errs.Forbidden, "")
	}
	return identity.Decision{Reason: "unknown_action"}, errs.E(errs.Forbidden, "")
}

// profile: everyone reads and edits their own profile; admins and staff
// manage the profiles of their practice's people (contact details, not
// clinical content); a clinician reads the profiles of patients on their care
// team but does not edit them.
func (p *Policy) profile(ctx context.Context, actor identity.Actor, action identity.Action, subject identity.Subject) (identity.Decision, error) {
	if actor.UserID == subject.UserID {
		return allow("self")
	}
	switch actor.Role {
	case identity.RoleAdmin, identity.RoleStaff:
		return allow("practice_" + string(actor.Role))
	case identity.RoleTherapist, identity.RoleSupervisor:
		if subject.Role != identity.RolePatient {
			return identity.Decision{Reason: "not_a_patient"}, errs.E(errs.NotFound, "")
		}
		ok, err := p.rel.IsOnCareTeam(ctx, actor.OrgID, actor.UserID, subject.UserID)
		if err != nil {
			return identity.Decision{Reason: "relations_failed"}, errs.Wrap(err, errs.Internal, "policy.profile")
		}
		if !ok {
			return identity.Decision{Reason: "not_on_care_team"}, errs.E(errs.NotFound, "")
		}
		if action == identity.ActionWriteProfile {
			return identity.Decision{Reason: "clinician_read_only"}, errs.E(errs.Forbidden, "")
		}
		return allow("care_team")
	}
	return identity.Decision{Reason: "patient_other"}, errs.E(errs.NotFound, "")
}

func allow(reason string) (identity.Decision, error) {
	return identity.Decision{Allowed: true, Reason: reason}, nil
}
