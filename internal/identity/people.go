package identity

import (
	"context"

	"github.com/astralcore/astral/internal/errs"
)

// ActionListPeople lists a practice's people (admins and staff).
const ActionListPeople Action = "people.list"

// Person is one row of the people list: the account and its name, which is
// read through the profile service (access-checked and audited).
type Person struct {
	User   User
	Name   string
	Erased bool
}

// People lists the people of actor's practice, with their names. Only admins
// and staff may; each name read is audited like any profile read.
func (a *Accounts) People(ctx context.Context, actor Actor, limit int) (_ []Person, err error) {
	defer errs.Op(&err, "identity.People")
	if _, err := a.profiles.authz.Authorize(ctx, actor, ActionListPeople, Subject{OrgID: actor.OrgID}); err != nil {
		return nil, err
	}
	users, err := a.orgs.Users(ctx, UserFilter{OrgID: actor.OrgID, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]Person, 0, len(users))
	for _, u := range users {
		p, err := a.profiles.Profile(ctx, actor, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Person{User: u, Name: p.LegalName.Reveal(), Erased: p.Erased})
	}
	return out, nil
}
