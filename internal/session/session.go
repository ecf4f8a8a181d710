// Package session keeps signed-in people signed in: browser sessions behind an
// opaque cookie token, and personal API tokens for /api/v1.
//
// A token is 256 random bits from crypto/rand, base64url-encoded. Only its
// SHA-256 reaches the database or a cache; lookups go by that hash, so a
// database dump or a Redis snapshot holds nothing that signs anyone in.
//
// A session ends at the earlier of its idle timeout (15 minutes for staff and
// clinicians, 30 for patients by default) and its absolute lifetime (12 hours,
// or up to 30 days for a patient who chose "remember me"), or when it is
// revoked. Activity moves the idle deadline forward, never past the absolute
// one. Login and every step-up issue a new token (Rotate), so a token planted
// before authentication is worthless after it.
//
// Validation is cheap on a warm cache: a Manager keeps recently used sessions
// in a Cache (in-process, or in-process in front of Redis for several
// instances) and writes last_seen_at to the store at most once a minute per
// session. Revoke evicts the session from the cache before it returns: with
// RedisCache, from every instance's (each confirms); with LocalCache alone,
// only from this process's, so several instances without Redis may accept a
// revoked token for up to the cache TTL (30 s).
//
// Every failure to validate a token (malformed, unknown, expired, revoked)
// is the same errs.Unauthenticated error, reached through the same lookups.
package session

import (
	"time"

	"github.com/astralcore/astral/internal/identity"
)

// Session is one signed-in browser. It carries no token: the token exists
// only in the cookie and, hashed, in the store.
type Session struct {
	ID     string // UUIDv7
	OrgID  string
	UserID string
	Role   identity.Role

	CreatedAt time.Time
	// LastSeenAt is the last activity the store knows of. It is written at
	// most once per Options.TouchInterval, so it may trail the latest
	// request by up to that interval; the idle deadline counts from it.
	LastSeenAt  time.Time
	IdleTimeout time.Duration
	// AbsoluteExpiry ends the session whatever the activity.
	AbsoluteExpiry time.Time
	// AuthTime is the last full authentication (password or passkey).
	AuthTime time.Time
	// MFAAt is when a second factor was last verified; zero means the
	// session is at AAL1 (password only).
	MFAAt time.Time
	// Remembered marks a patient's "remember me" session: long-lived, but
	// never Fresh without a new login.
	Remembered bool

	Device Device
	// Place is the client's network, the IP address truncated to /24 (IPv4)
	// or /48 (IPv6), such as "203.0.113.0/24": enough to tell "at home" from
	// "somewhere else", no geolocation.
	Place string

	RevokedAt    *time.Time
	RevokeReason Reason // "" while not revoked
}

// Fresh reports whether the person authenticated fully (password or
// passkey, not merely kept a session alive) within the given window before
// now. PHI-sensitive actions (changing e-mail or MFA, break-glass, bulk
// export, erasure) require a fresh session; a remembered session is fresh
// only right after a new login.
func (s Session) Fresh(now time.Time, within time.Duration) bool {
	return !s.AuthTime.IsZero() && !s.AuthTime.After(now) && now.Sub(s.AuthTime) <= within
}

// MFAVerified reports whether a second factor was verified in this session
// (AAL2). PHI endpoints require it for clinicians and admins.
func (s Session) MFAVerified() bool { return !s.MFAAt.IsZero() }

// expiry returns when the session ends if nothing more happens: the
// earlier of the idle and the absolute deadline.
func (s Session) expiry() time.Time {
	idle := s.LastSeenAt.Add(s.IdleTimeout)
	if idle.Before(s.AbsoluteExpiry) {
		return idle
	}
	return s.AbsoluteExpiry
}

// activeAt reports whether s is neither revoked nor expired at now. A
// session whose deadline is exactly now has ended.
func (s Session) activeAt(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.expiry())
}

// Reason says why a session ended early. It is recorded with the session and
// shown in the "your sessions" history.
type Reason string

// The reasons a session can be revoked.
const (
	ReasonLogout          Reason = "logout"           // the person signed out
	ReasonRevoked         Reason = "revoked"          // the person ended it from "your sessions"
	ReasonAdmin           Reason = "admin"            // an admin ended it
	ReasonDeactivated     Reason = "deactivated"      // the account was deactivated
	ReasonPasswordChanged Reason = "password_changed" // password change or reset
	ReasonMFAChanged      Reason = "mfa_changed"      // a second factor was added, removed or reset
	ReasonRoleChanged     Reason = "role_changed"     // the person's role changed
)

// Reasons returns every reason, in a stable order.
func Reasons() []Reason {
	return []Reason{ReasonLogout, ReasonRevoked, ReasonAdmin, ReasonDeactivated,
		ReasonPasswordChanged, ReasonMFAChanged, ReasonRoleChanged}
}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool {
	for _, v := range Reasons() {
		if r == v {
			return true
		}
	}
	return false
}
