package session

import (
	"context"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Validate returns the session a presented token names, if it is active:
// not revoked, not idle for longer than its idle timeout, not past its
// absolute expiry. Activity moves LastSeenAt forward (written to the store
// at most once per TouchInterval), which extends the idle deadline but
// never past the absolute one.
//
// A malformed, unknown, expired or revoked token is errs.Unauthenticated,
// always the same error, found through the same cache and store lookups. A
// failing store is errs.Internal: the caller must not treat it as signed
// out, nor as signed in.
func (m *Manager) Validate(ctx context.Context, token string) (Session, error) {
	h, wellFormed := presentedHash(token, "")
	return m.validate(ctx, h, wellFormed)
}

// validate looks h up in the cache, then in the store. A cached session
// that looks expired is looked up again: another instance may have seen
// activity this one has not.
func (m *Manager) validate(ctx context.Context, h Hash, wellFormed bool) (Session, error) {
	const op = "session.Validate"
	now := m.clock()
	gen := m.cache.Generation()
	if s, ok := m.cache.Get(ctx, h); ok && wellFormed && s.activeAt(now) {
		s, touched := m.touch(ctx, s, now)
		if touched {
			m.cache.Put(ctx, h, s, gen)
		}
		return s, nil
	}
	s, err := m.store.SessionByTokenHash(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return Session{}, unauthenticated(op)
	}
	if err != nil {
		return Session{}, errs.Wrap(err, errs.Internal, op)
	}
	if !wellFormed || !s.activeAt(now) {
		return Session{}, unauthenticated(op)
	}
	s, _ = m.touch(ctx, s, now)
	m.cache.Put(ctx, h, s, gen)
	return s, nil
}

// touch records activity at now in the store when the stored LastSeenAt is
// at least TouchInterval old, and reports whether it did. A failed write is
// logged and leaves s as it was: the session stays valid but its idle
// deadline does not move, which fails safe.
func (m *Manager) touch(ctx context.Context, s Session, now time.Time) (Session, bool) {
	if now.Sub(s.LastSeenAt) < m.opts.TouchInterval {
		return s, false
	}
	if err := m.store.TouchSession(ctx, s.ID, now); err != nil {
		m.log.WarnContext(ctx, "session: recording activity failed", "session_id", s.ID, "err", err)
		return s, false
	}
	s.LastSeenAt = now
	return s, true
}

// Rotate replaces the token of an active session with a new one and returns
// it; the old token stops working at once, on every instance. Call it when
// a second factor is verified after a password login, and at every step-up
// or re-authentication, so that a token learned before cannot ride on the
// stronger session (fixation).
//
// change, which may be nil, edits a copy of the session. Only AuthTime
// (set it to now after a full re-authentication) and MFAAt (now after a
// second factor) are kept; other edits are ignored. A time after now, a zero
// AuthTime or an earlier AuthTime than before is errs.Invalid.
//
// A token that does not validate, or that was rotated or revoked
// concurrently, is errs.Unauthenticated. If other instances cannot be told
// to forget the old token, Rotate returns that error and no new token: the
// person signs in again, which fails safe.
func (m *Manager) Rotate(ctx context.Context, token string, change func(*Session)) (_ string, _ Session, err error) {
	defer errs.Op(&err, "session.Rotate")
	old, wellFormed := presentedHash(token, "")
	s, err := m.validate(ctx, old, wellFormed)
	if err != nil {
		return "", Session{}, err
	}
	upd := s
	if change != nil {
		change(&upd)
	}
	now := m.clock()
	authTime := upd.AuthTime.UTC().Truncate(time.Microsecond)
	mfaAt := upd.MFAAt.UTC().Truncate(time.Microsecond) // zero stays zero: AAL1
	var fe []errs.FieldError
	if authTime.IsZero() || authTime.After(now) || authTime.Before(s.AuthTime) {
		fe = append(fe, errs.FieldError{Field: "auth_time", Message: "field.invalid_format"})
	}
	if mfaAt.After(now) {
		fe = append(fe, errs.FieldError{Field: "mfa_at", Message: "field.invalid_format"})
	}
	if len(fe) > 0 {
		return "", Session{}, errs.InvalidFields(fe...)
	}

	tok, h := newToken("")
	err = m.store.RotateSession(ctx, s.ID, old, h, authTime, mfaAt, now)
	if errs.Is(err, errs.NotFound) {
		return "", Session{}, unauthenticated("")
	}
	if err != nil {
		return "", Session{}, err
	}
	if err := m.cache.Invalidate(ctx, old); err != nil {
		return "", Session{}, err
	}
	s.AuthTime, s.MFAAt, s.LastSeenAt = authTime, mfaAt, now
	m.cache.Put(ctx, h, s, m.cache.Generation())
	return tok, s, nil
}
