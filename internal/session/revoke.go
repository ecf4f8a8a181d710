package session

import (
	"context"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// validReason returns an Invalid error unless r is one of Reasons.
func validReason(r Reason) error {
	if !r.Valid() {
		return errs.InvalidFields(errs.FieldError{Field: "reason", Message: "field.invalid_choice"})
	}
	return nil
}

// Revoke ends session id of user userID in practice orgID; its token gives
// errs.Unauthenticated on the very next Validate, on every instance, once
// Revoke returns. Revoking a revoked session is not an error. An unknown
// session, or one of another person or practice, is errs.NotFound; an
// unknown reason is errs.Invalid.
//
// If the revocation is stored but another instance cannot be told, Revoke
// returns errs.Unavailable: the session is revoked, and instances that were
// not told stop accepting it when their cache entry expires.
func (m *Manager) Revoke(ctx context.Context, orgID, userID, id string, reason Reason) (err error) {
	defer errs.Op(&err, "session.Revoke")
	if err := validReason(reason); err != nil {
		return err
	}
	h, err := m.store.RevokeSession(ctx, orgID, userID, id, reason, m.clock())
	if err != nil {
		return err
	}
	return m.invalidate(ctx, h)
}

// Logout revokes the session a token names, if it still exists, with
// ReasonLogout. A token that names no session is not an error: signing out
// twice is harmless. Errors are as for Revoke.
func (m *Manager) Logout(ctx context.Context, token string) (err error) {
	defer errs.Op(&err, "session.Logout")
	h, _ := presentedHash(token, "")
	s, err := m.store.SessionByTokenHash(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := m.store.RevokeSession(ctx, s.OrgID, s.UserID, s.ID, ReasonLogout, m.clock()); err != nil {
		return err
	}
	return m.invalidate(ctx, h)
}

// RevokeUser ends every session of the user except exceptID ("" for none:
// all of them), and returns how many it ended. Call it when an account is
// deactivated (with no exception), when a password is reset or changed, an
// MFA factor changes or the role changes (excepting the session that made
// the change, if the person chooses to stay signed in there). Errors are as
// for Revoke.
func (m *Manager) RevokeUser(ctx context.Context, orgID, userID, exceptID string, reason Reason) (_ int, err error) {
	defer errs.Op(&err, "session.RevokeUser")
	if err := validReason(reason); err != nil {
		return 0, err
	}
	hs, err := m.store.RevokeUserSessions(ctx, orgID, userID, exceptID, reason, m.clock())
	if err != nil {
		return 0, err
	}
	if len(hs) == 0 {
		return 0, nil
	}
	return len(hs), m.invalidate(ctx, hs...)
}

// invalidate removes hs from the caches of every instance.
func (m *Manager) invalidate(ctx context.Context, hs ...Hash) error {
	if err := m.cache.Invalidate(ctx, hs...); err != nil {
		return errs.Wrap(err, errs.Unavailable, "session.invalidate")
	}
	return nil
}

// List returns the user's active sessions, newest first, for the "your
// sessions" page and for admins. It never fails with NotFound: a person
// without sessions has an empty list.
func (m *Manager) List(ctx context.Context, orgID, userID string) (_ []Session, err error) {
	defer errs.Op(&err, "session.List")
	now := m.clock()
	all, err := m.store.Sessions(ctx, orgID, userID, now)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if s.activeAt(now) {
			out = append(out, s)
		}
	}
	return out, nil
}

// DeleteEnded deletes sessions that were revoked, or passed their absolute
// expiry, more than keep ago, and returns how many; a periodic job calls
// it. keep must not be negative (errs.Invalid).
func (m *Manager) DeleteEnded(ctx context.Context, keep time.Duration) (_ int64, err error) {
	defer errs.Op(&err, "session.DeleteEnded")
	if keep < 0 {
		return 0, errs.InvalidFields(errs.FieldError{Field: "keep", Message: "field.invalid_format"})
	}
	return m.store.DeleteSessionsEndedBefore(ctx, m.clock().Add(-keep))
}
