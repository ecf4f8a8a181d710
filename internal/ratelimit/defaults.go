package ratelimit

import "time"

// The limits Astral Core applies, with the key each is meant for. They are
// variables only because Go has no struct constants; never assign to them.
// Per-IP limits run before any password hashing, so a flood from one
// address costs one map or Redis lookup per request, not an argon2id hash.
var (
	// LoginPerIP limits login attempts from one client network, key
	// IPKey("login-ip", addr): bursts of 10, then one every 3 s.
	LoginPerIP = Limit{Rate: 20, Per: time.Minute, Burst: 10}

	// RegisterPerIP limits sign-ups from one client network, key
	// IPKey("register-ip", addr).
	RegisterPerIP = Limit{Rate: 10, Per: time.Hour, Burst: 5}

	// MFAPerSession limits second-factor attempts within one half-logged-in
	// session, key "mfa:<session id hash>": 5 at once, then one every 3 min.
	// A six-digit TOTP code has 10^6 values, so pair it with a Backoff keyed
	// "mfa:<user id>": a new session must not mean fresh guesses.
	MFAPerSession = Limit{Rate: 5, Per: 15 * time.Minute, Burst: 5}

	// ResetPerIP limits password-reset requests from one client network,
	// key IPKey("reset-ip", addr).
	ResetPerIP = Limit{Rate: 5, Per: time.Hour, Burst: 5}

	// ResetPerAccount limits reset e-mails to one address, key
	// "reset:<normalized e-mail>", so nobody can flood a victim's inbox.
	ResetPerAccount = Limit{Rate: 3, Per: time.Hour, Burst: 3}

	// ExportPerUser limits bulk exports (each one a large PHI read), key
	// "export:<user id>".
	ExportPerUser = Limit{Rate: 5, Per: time.Hour, Burst: 2}

	// UploadPerUser limits file uploads, key "upload:<user id>".
	UploadPerUser = Limit{Rate: 60, Per: time.Hour, Burst: 10}

	// SearchPerUser limits searches, key "search:<user id>".
	SearchPerUser = Limit{Rate: 60, Per: time.Minute, Burst: 20}
)

// DefaultBackoff is the login backoff policy: five free failures, then waits
// of 1 s, 2 s, 4 s … up to 15 min, forgotten after 12 h without a failure.
// Keycloak uses the same cap and reset; NIST SP 800-63B §5.2.2 suggests
// waits up to an hour. With it an attacker gets about 60 guesses per account
// in the first 12 hours, and 96 a day after that.
var DefaultBackoff = BackoffPolicy{
	Free:  5,
	Base:  time.Second,
	Max:   15 * time.Minute,
	Reset: 12 * time.Hour,
}
