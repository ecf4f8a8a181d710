// Package ratelimit throttles requests and failed logins, in one process or
// across many through Redis (SECURITY.md §2 items 4, 5, 12 and 27).
//
// It offers two tools:
//
//   - A Limiter answers "may this request under this key proceed now?" for a
//     Limit such as 20 per minute with bursts of 10. Memory keeps state in
//     this process; Redis shares it between instances.
//   - A Backoff tracks consecutive failed logins per account and answers "how
//     long must this account still wait?". The first five failures are free,
//     then the wait doubles from one second up to fifteen minutes; a success
//     resets it and twelve quiet hours forget it (Keycloak's figures). It
//     slows an attacker down without ever locking the owner out for good, and
//     it never says that an account is throttled.
//
// # Algorithm
//
// Limiters use the generic cell rate algorithm (GCRA), the token bucket
// written as one timestamp per key. With interval T = Per/Rate, a key's
// state is its theoretical arrival time (TAT): the time at which the bucket
// would be full again. A request at time now is allowed when
//
//	max(TAT, now) + T - Burst·T <= now
//
// and then TAT becomes max(TAT, now) + T. So Burst requests pass at once,
// then one every T. Compared with a token bucket it stores one number instead
// of two, needs no refill arithmetic with fractions of tokens, and gives the
// exact Retry-After (the moment the inequality will hold). A key whose TAT
// lies in the past is indistinguishable from a new one, so idle state can be
// dropped without changing any answer.
//
// # Keys
//
// Keys name the thing limited and start with a scope, so that different
// limits never share state: "login-ip:203.0.113.9", "login:<normalized
// identifier>", "reset-ip:…", "mfa:<session id hash>", "export:<user id>". Use each
// key with one Limit only. Build IP keys with IPKey, which groups an IPv6
// client by its /64 network (one subscriber usually owns a whole /64).
// Keys are hashed (SHA-256) before they are stored, so neither process
// memory nor Redis holds e-mail addresses; a hash of a guessable identifier
// can still be confirmed by guessing, so prefer ids where the caller has one.
//
// Key the login backoff by the identifier the client submitted (normalized),
// whether or not such an account exists: then unknown and known accounts are
// throttled alike and the backoff reveals nothing about existence. A
// throttled attempt skips password hashing and answers fast; the caller may
// pad its latency, but the answer itself must be the generic login failure.
//
// # Failure
//
// A limiter or backoff that cannot reach Redis returns an error of kind
// errs.Unavailable and no decision. For login, MFA and password reset the
// caller must treat that as "deny" (fail closed, SECURITY.md §2 item 36):
// an attacker who can make Redis slow or unreachable must not thereby switch
// brute-force protection off. AllowOrDeny does this for limiters. For
// limits that only protect capacity (search, say) a caller may choose to
// fail open, and should log the error either way.
//
// # Clocks
//
// Every implementation takes its time from an injected clock (WithClock),
// so tests run on a fake clock. Redis implementations send the calling
// instance's time to the script, so instances need synchronized clocks
// (NTP); a skew of s seconds shifts a decision by at most s seconds. Redis
// key expiry uses Redis's own clock and only collects garbage: the scripts
// compare the stored times themselves.
package ratelimit
