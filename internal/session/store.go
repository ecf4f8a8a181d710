package session

import (
	"context"
	"time"
)

// Store keeps sessions and API tokens; internal/store implements it over
// SQLite and PostgreSQL. Only token hashes are passed to it.
//
// Times are the Manager's (its injected clock), not the store's, so that
// every deadline follows one clock. The store keeps them at microsecond
// precision in UTC; the Manager truncates them the same way first.
//
// Error contract, for every method: a missing row, or one of another
// practice or person than the ids given, is errs.NotFound; a duplicate id or
// hash is errs.Conflict; a value the schema refuses (an unknown user, a bad
// role) is errs.Invalid; anything else is errs.Internal. Lists return an
// empty slice, not NotFound.
type Store interface {
	// CreateSession inserts s, which must not be revoked, under hash.
	CreateSession(ctx context.Context, s Session, hash Hash) error
	// SessionByTokenHash returns the session with that token hash, revoked
	// and expired ones included: the Manager decides.
	SessionByTokenHash(ctx context.Context, hash Hash) (Session, error)
	// RotateSession replaces the token hash of session id, if it still is
	// oldHash and the session is not revoked, and sets its auth_time, mfa_at
	// (zero: NULL) and last_seen_at. Otherwise it changes nothing and
	// returns errs.NotFound.
	RotateSession(ctx context.Context, id string, oldHash, newHash Hash, authTime, mfaAt, lastSeen time.Time) error
	// TouchSession moves last_seen_at of session id forward to at, unless it
	// is already later or the session is revoked; neither is an error.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// RevokeSession revokes session id of user userID in practice orgID and
	// returns its token hash. Revoking a revoked session keeps the first
	// time and reason and is not an error.
	RevokeSession(ctx context.Context, orgID, userID, id string, reason Reason, at time.Time) (Hash, error)
	// RevokeUserSessions revokes every unrevoked session of the user except
	// exceptID ("" for none) and returns their token hashes.
	RevokeUserSessions(ctx context.Context, orgID, userID, exceptID string, reason Reason, at time.Time) ([]Hash, error)
	// Sessions lists the user's sessions that are unrevoked and not past
	// their absolute expiry at now, newest first. Idle ones are included;
	// the Manager filters them.
	Sessions(ctx context.Context, orgID, userID string, now time.Time) ([]Session, error)
	// DeleteSessionsEndedBefore deletes sessions revoked, or past their
	// absolute expiry, before t, and returns how many.
	DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error)

	// CreateAPIToken inserts t, which must not be revoked, under hash.
	CreateAPIToken(ctx context.Context, t APIToken, hash Hash) error
	// APITokenByHash returns the token with that hash, revoked and expired
	// ones included, with Role and Active read from its user's row now.
	APITokenByHash(ctx context.Context, hash Hash) (APIToken, error)
	// TouchAPIToken sets last_used_at of token id to at if it is NULL or not
	// later than before; otherwise it changes nothing, which is no error.
	TouchAPIToken(ctx context.Context, id string, at, before time.Time) error
	// APITokens lists the user's unrevoked tokens, newest first, expired
	// ones included.
	APITokens(ctx context.Context, orgID, userID string) ([]APIToken, error)
	// RevokeAPIToken revokes token id of user userID in practice orgID.
	// Revoking a revoked token keeps the first time and is not an error.
	RevokeAPIToken(ctx context.Context, orgID, userID, id string, at time.Time) error
}
