package identity

import (
	"context"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/notify"
)

// NotifySelf emails actor about something that happened to their own
// account (a new second factor, a sign-in after failed attempts), at the
// address in their profile. Reading that address is an ordinary, audited
// profile read by the person themselves. kind names the message in logs;
// subject and text must hold no PHI. A person without an address gets
// nothing, and no error.
func (a *Accounts) NotifySelf(ctx context.Context, actor Actor, kind, subject, text string) (err error) {
	defer errs.Op(&err, "identity.NotifySelf")
	p, err := a.profiles.Profile(ctx, actor, actor.UserID)
	if err != nil {
		return err
	}
	if p.Email.IsZero() {
		return nil
	}
	return a.mail.Send(ctx, notify.Message{To: p.Email, Subject: subject, Text: text, Kind: kind})
}
