package identity

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/phi"
)

// ActionInvite invites a person to the practice (admins).
const ActionInvite Action = "people.invite"

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 72 * time.Hour

// invitationTable binds invitation email ciphertexts.
const invitationTable = "invitations"

// Mailer sends email; notify.Sender implements it.
type Mailer interface {
	Send(ctx context.Context, m notify.Message) error
}

// InviteMail composes the invitation email for a link, in the inviter's
// language. It must not put PHI in the subject.
type InviteMail func(link string) (subject, text string)

// Invite invites the person at email to actor's practice with role, and
// sends them a single-use link valid for 72 hours. Only admins may invite.
// Invalid input is errs.Invalid; an email already used by someone in the
// practice is errs.Conflict. The email is stored encrypted under the
// practice's key with a blind index; the token only as a hash. If the email
// cannot be sent, the invitation is withdrawn and the error returned.
func (a *Accounts) Invite(ctx context.Context, actor Actor, email string, role Role, baseURL string, compose InviteMail) (err error) {
	defer errs.Op(&err, "identity.Invite")
	email = phi.NormalizeEmail(strings.TrimSpace(email))
	var fe fieldErrors
	if email == "" {
		fe.add("email", msgRequired)
	} else if verr := (ProfileInput{Email: &email}).Validate(a.now()); verr != nil {
		_, _, _, fields := errs.Public(verr)
		fe = append(fe, fields...)
	}
	if !role.Valid() {
		fe.add("role", msgInvalidChoice)
	}
	if err := fe.err(); err != nil {
		return err
	}
	if _, err := a.profiles.authz.Authorize(ctx, actor, ActionInvite, Subject{OrgID: actor.OrgID}); err != nil {
		return err
	}
	if ids, err := a.profiles.UserIDsByEmail(ctx, actor.OrgID, email); err != nil {
		return err
	} else if len(ids) > 0 {
		return &errs.Error{Kind: errs.Conflict, Message: "error.invalid", Fields: []errs.FieldError{{Field: "email", Message: "field.taken"}}}
	}
	token, hash := NewToken()
	uid, err := uuid.NewV7() // the row id, bound into the email's ciphertext
	if err != nil {
		return errs.Wrap(err, errs.Internal, "identity.Invite: id")
	}
	id := uid.String()
	owner := phi.Owner{OrgID: actor.OrgID}
	sealed, err := a.profiles.keys.SealText(ctx, owner, phi.AAD{OrgID: actor.OrgID, Table: invitationTable, Column: "email", RowID: id}, phi.NewText(email))
	if err != nil {
		return err
	}
	index, err := a.profiles.keys.BlindIndex(ctx, actor.OrgID, invitationTable, "email", email)
	if err != nil {
		return err
	}
	inv, err := a.accounts.CreateInvitation(ctx, Invitation{
		ID: id, OrgID: actor.OrgID, Role: role, Email: sealed, EmailIndex: index, TokenHash: hash,
		InvitedBy: actor.UserID, ExpiresAt: a.now().Add(InvitationTTL),
	})
	if err != nil {
		return err
	}
	if err := a.audit.Record(ctx, withRequest(ctx, audit.Event{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(actor.Role), Action: string(ActionInvite),
		ResourceType: "invitation", ResourceID: inv.ID, Outcome: audit.Success, Purpose: audit.PurposeNormal,
		Category: audit.CategoryAdministration, Fields: []string{"invitations.email", "invitations.role"},
	})); err != nil {
		_ = a.accounts.RevokeInvitation(ctx, actor.OrgID, inv.ID)
		return err
	}
	subject, text := compose(strings.TrimSuffix(baseURL, "/") + "/invite/" + token)
	if err := a.mail.Send(ctx, notify.Message{To: phi.NewText(email), Subject: subject, Text: text, Kind: "invitation"}); err != nil {
		_ = a.accounts.RevokeInvitation(ctx, actor.OrgID, inv.ID)
		return err
	}
	return nil
}

// CheckInvitation reports whether an invitation token can still be
// accepted, and for which role.
func (a *Accounts) CheckInvitation(ctx context.Context, token string) (Role, error) {
	inv, err := a.accounts.InvitationByToken(ctx, HashToken(token))
	return inv.Role, err
}

// AcceptInput is what an invited person enters.
type AcceptInput struct {
	Name     string
	Password string
}

// AcceptInvitation creates the invited person's account with the invitation's
// role and email, their name and password, and uses up the invitation. It
// returns the new person as an actor, to sign them in. A used, expired or
// withdrawn invitation is errs.NotFound; bad input errs.Invalid.
func (a *Accounts) AcceptInvitation(ctx context.Context, token string, in AcceptInput) (_ Actor, err error) {
	defer errs.Op(&err, "identity.AcceptInvitation")
	inv, err := a.accounts.InvitationByToken(ctx, HashToken(token))
	if err != nil {
		return Actor{}, err
	}
	// Opening the invited address is a read of personal data: audit it first,
	// attributed to the invitation (the person has no account yet).
	if err := a.audit.Record(ctx, withRequest(ctx, audit.Event{
		OrgID: inv.OrgID, ActorID: "invitation:" + inv.ID, ActorRole: "anonymous", Action: "people.join",
		ResourceType: "invitation", ResourceID: inv.ID, Outcome: audit.Success, Purpose: audit.PurposeNormal,
		Category: audit.CategoryAdministration, Fields: []string{"invitations.email"},
	})); err != nil {
		return Actor{}, err
	}
	email, err := a.profiles.keys.OpenText(ctx, inv.Email, phi.AAD{OrgID: inv.OrgID, Table: invitationTable, Column: "email", RowID: inv.ID})
	if err != nil {
		return Actor{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	var fe fieldErrors
	if in.Name == "" {
		fe.add("name", msgRequired)
	} else if verr := (ProfileInput{LegalName: &in.Name}).Validate(a.now()); verr != nil {
		_, _, _, fields := errs.Public(verr)
		for _, f := range fields {
			f.Field = "name"
			fe = append(fe, f)
		}
	}
	if cerr := a.check(in.Password, inv.Role, in.Name, email.Reveal()); cerr != nil {
		if !errs.Is(cerr, errs.Invalid) {
			return Actor{}, cerr
		}
		_, _, _, fields := errs.Public(cerr)
		fe = append(fe, fields...)
	}
	if err := fe.err(); err != nil {
		return Actor{}, err
	}
	u, err := a.orgs.CreateUser(ctx, inv.OrgID, inv.Role)
	if err != nil {
		return Actor{}, err
	}
	if err := a.accounts.UseInvitation(ctx, inv.ID, u.ID); err != nil {
		return Actor{}, err // someone accepted it meanwhile; the new user stays unused
	}
	actor := Actor{UserID: u.ID, OrgID: u.OrgID, Role: u.Role}
	addr := email.Reveal()
	if _, err := a.profiles.SetProfile(ctx, actor, u.ID, 0, ProfileInput{LegalName: &in.Name, Email: &addr}); err != nil {
		return Actor{}, err
	}
	phc, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Actor{}, err
	}
	if err := a.accounts.SetPasswordHash(ctx, u.OrgID, u.ID, phc); err != nil {
		return Actor{}, err
	}
	return actor, nil
}
