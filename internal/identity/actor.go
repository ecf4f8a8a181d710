package identity

import (
	"context"

	"github.com/astralcore/astral/internal/reqctx"
)

// Actor is who is asking: the authenticated person behind a request, or the
// system itself for background work. Every PHI read or write names one.
type Actor struct {
	UserID string
	OrgID  string
	Role   Role
}

// Action names something an actor may want to do to a person's data, such
// as "profile.read". Domain packages declare their own actions; package
// policy decides them all.
type Action string

// The identity domain's actions.
const (
	ActionReadProfile  Action = "profile.read"
	ActionWriteProfile Action = "profile.write"
)

// Subject is the person whose data an action touches.
type Subject struct {
	OrgID  string
	UserID string
	Role   Role
}

// Decision is an access decision with the rule that made it, for the audit
// entry.
type Decision struct {
	Allowed bool
	Reason  string
}

// Authorizer makes access decisions; package policy implements it.
//
// Authorize returns a nil error only when the decision allows the action.
// Denials are errors the caller returns as they are: errs.NotFound when the
// actor may not learn that the subject exists, errs.Forbidden when it may
// but cannot do this, errs.Unauthenticated without an actor. A failure to
// decide is errs.Internal: deny.
type Authorizer interface {
	Authorize(ctx context.Context, actor Actor, action Action, subject Subject) (Decision, error)
}

// ActorFrom returns the signed-in person of the request in ctx, and false for
// an anonymous request.
func ActorFrom(ctx context.Context) (Actor, bool) {
	info := reqctx.From(ctx)
	if !info.SignedIn() {
		return Actor{}, false
	}
	return Actor{UserID: info.UserID, OrgID: info.OrgID, Role: Role(info.Role)}, true
}
