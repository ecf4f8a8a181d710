package identity

import (
	"context"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/phi"
)

// ResetTTL is how long a password reset link works.
const ResetTTL = 30 * time.Minute

// ChangePassword replaces actor's password after checking the current one.
// A wrong current password is errs.Invalid on "current_password" (the
// person is signed in, so this reveals nothing new); a new password the
// policy refuses is errs.Invalid on "password". The caller ends the
// person's other sessions and tells them by email.
func (a *Accounts) ChangePassword(ctx context.Context, actor Actor, current, next string) (err error) {
	defer errs.Op(&err, "identity.ChangePassword")
	stored, err := a.accounts.PasswordHash(ctx, actor.OrgID, actor.UserID)
	if err != nil {
		return err
	}
	ok, _, err := a.hasher.Verify(ctx, current, stored)
	if err != nil {
		return err
	}
	if !ok {
		a.recordPassword(ctx, actor, "auth.password_change", audit.Failure)
		return errs.InvalidFields(errs.FieldError{Field: "current_password", Message: "field.password_wrong"})
	}
	if err := a.setPassword(ctx, actor, next); err != nil {
		return err
	}
	a.recordPassword(ctx, actor, "auth.password_change", audit.Success)
	return nil
}

// RequestPasswordReset emails a single-use reset link, valid for 30
// minutes, to the person of practice orgID with that email address. It
// answers the same whether or not such a person exists (no enumeration),
// and sends nothing to a deactivated account.
func (a *Accounts) RequestPasswordReset(ctx context.Context, orgID, email, baseURL string, compose InviteMail) (err error) {
	defer errs.Op(&err, "identity.RequestPasswordReset")
	norm := phi.NormalizeEmail(strings.TrimSpace(email))
	if norm == "" || len(norm) > MaxEmailLength {
		return nil
	}
	ids, err := a.profiles.UserIDsByEmail(ctx, orgID, norm)
	if err != nil || len(ids) != 1 {
		return err
	}
	u, err := a.orgs.UserByID(ctx, orgID, ids[0])
	if err != nil || u.Status != StatusActive {
		return err
	}
	token, hash := NewToken()
	if err := a.accounts.CreateOneTimeToken(ctx, OneTimeToken{TokenHash: hash, OrgID: orgID, UserID: u.ID, Purpose: PurposeResetPassword, ExpiresAt: a.now().Add(ResetTTL)}); err != nil {
		return err
	}
	a.recordPassword(ctx, Actor{UserID: u.ID, OrgID: orgID, Role: u.Role}, "auth.password_reset_request", audit.Success)
	subject, text := compose(strings.TrimSuffix(baseURL, "/") + "/reset/" + token)
	return a.mail.Send(ctx, notify.Message{To: phi.NewText(norm), Subject: subject, Text: text, Kind: "password_reset"})
}

// ResetPassword uses a reset token to set a new password and returns the
// person, whom the caller signs in at the first factor only: a reset never
// bypasses the second factor. The caller ends every other session. A used,
// expired or unknown token is errs.NotFound; a refused password errs.Invalid
// (and the token is used up: the person asks for a new link).
func (a *Accounts) ResetPassword(ctx context.Context, token, next string) (_ Actor, err error) {
	defer errs.Op(&err, "identity.ResetPassword")
	t, err := a.accounts.UseOneTimeToken(ctx, HashToken(token), PurposeResetPassword)
	if err != nil {
		return Actor{}, err
	}
	u, err := a.orgs.UserByID(ctx, t.OrgID, t.UserID)
	if err != nil {
		return Actor{}, err
	}
	if u.Status != StatusActive {
		return Actor{}, errs.E(errs.NotFound, "error.token_invalid")
	}
	actor := Actor{UserID: u.ID, OrgID: u.OrgID, Role: u.Role}
	if err := a.setPassword(ctx, actor, next); err != nil {
		return Actor{}, err
	}
	a.recordPassword(ctx, actor, "auth.password_reset", audit.Success)
	return actor, nil
}

// setPassword checks a new password against the policy for actor's role and
// their own name and email, then stores its hash.
func (a *Accounts) setPassword(ctx context.Context, actor Actor, next string) error {
	var personal []string
	if p, err := a.profiles.Profile(ctx, actor, actor.UserID); err == nil {
		personal = append(personal, p.LegalName.Reveal(), p.PreferredName.Reveal(), p.Email.Reveal())
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	if err := a.check(next, actor.Role, personal...); err != nil {
		return err
	}
	phc, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return a.accounts.SetPasswordHash(ctx, actor.OrgID, actor.UserID, phc)
}

func (a *Accounts) recordPassword(ctx context.Context, actor Actor, action string, outcome audit.Outcome) {
	ev := withRequest(ctx, audit.Event{OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(actor.Role),
		Action: action, Outcome: outcome, Purpose: audit.PurposeNormal, Category: audit.CategoryAuthentication})
	if err := a.audit.Record(ctx, ev); err != nil {
		a.log.ErrorContext(ctx, "audit of a password event", "action", action, "err", err.Error())
	}
}
