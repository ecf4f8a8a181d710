package identity

import (
	"context"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
)

// ActionManagePeople deactivates, reactivates and changes the role of the
// practice's people (admins).
const ActionManagePeople Action = "people.manage"

// PersonChange is one lifecycle change; nil fields stay as they are.
type PersonChange struct {
	Status *Status
	Role   *Role
}

// ChangePerson applies a lifecycle change to user userID of actor's
// practice, if the user is still at expectedVersion. Only admins may, and
// never to themselves (an admin cannot lock themselves out or drop their own
// role). The caller must end the person's sessions afterwards (deactivation
// and role changes force a new sign-in). Errors: errs.Forbidden (not an
// admin, or oneself), errs.NotFound, errs.Conflict (changed meanwhile),
// errs.Invalid.
func (a *Accounts) ChangePerson(ctx context.Context, actor Actor, userID string, expectedVersion int64, ch PersonChange) (_ User, err error) {
	defer errs.Op(&err, "identity.ChangePerson")
	if _, err := a.profiles.authz.Authorize(ctx, actor, ActionManagePeople, Subject{OrgID: actor.OrgID, UserID: userID}); err != nil {
		return User{}, err
	}
	if userID == actor.UserID {
		return User{}, errs.E(errs.Forbidden, "error.not_yourself")
	}
	upd := UserUpdate{Status: ch.Status, Role: ch.Role}
	if err := upd.Validate(); err != nil {
		return User{}, err
	}
	var fields []string
	if ch.Status != nil {
		fields = append(fields, "users.status")
	}
	if ch.Role != nil {
		fields = append(fields, "users.role")
	}
	ev := withRequest(ctx, audit.Event{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(actor.Role), Action: string(ActionManagePeople),
		ResourceType: "user", ResourceID: userID, Outcome: audit.Success, Purpose: audit.PurposeNormal,
		Category: audit.CategoryAdministration, Fields: fields,
	})
	// Audit first: a change that cannot be recorded does not happen.
	if err := a.audit.Record(ctx, ev); err != nil {
		return User{}, err
	}
	u, err := a.orgs.UpdateUser(ctx, actor.OrgID, userID, expectedVersion, upd)
	if err != nil {
		ev.Outcome = audit.Failure
		if aerr := a.audit.Record(ctx, ev); aerr != nil {
			a.log.ErrorContext(ctx, "audit of a failed change to a person", "err", aerr.Error())
		}
		return User{}, err
	}
	return u, nil
}
