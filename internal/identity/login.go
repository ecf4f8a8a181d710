package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/reqctx"
)

// LoginThrottle slows down password guessing per account without ever
// locking the owner out for good; ratelimit.Backoff implements it. Check
// returns how long the account must wait before the next attempt.
type LoginThrottle interface {
	Check(ctx context.Context, key string) (time.Duration, error)
	Fail(ctx context.Context, key string) error
	Succeed(ctx context.Context, key string) error
	RecentFailures(ctx context.Context, key string) (int, error)
}

// errLoginFailed is the one answer to every failed sign-in: unknown email,
// wrong password, deactivated account and throttled account look the same,
// and cost the same (one password hash each).
var errLoginFailed = errs.E(errs.Unauthenticated, "error.login_failed")

// Input bounds: larger inputs are refused before any hashing.
const (
	maxLoginEmail    = 254
	maxLoginPassword = 1024
)

// LoginResult is a successful password check.
type LoginResult struct {
	User User
	// PriorFailures counts the failed attempts since the last success, so
	// the caller can tell the person when someone else may have tried.
	PriorFailures int
}

// Authenticate checks an email and password for practice orgID. It returns
// errs.Unauthenticated ("error.login_failed") for every kind of failure, the
// same answer at about the same cost, and errs.Unavailable when the key
// provider or audit log is down (fail closed). Every attempt is audited.
// Per-IP limits belong before this call, in the HTTP layer.
func (a *Accounts) Authenticate(ctx context.Context, throttle LoginThrottle, orgID, email, password string) (_ LoginResult, err error) {
	defer errs.Op(&err, "identity.Authenticate")
	if orgID == "" || email == "" || password == "" || len(email) > maxLoginEmail || len(password) > maxLoginPassword {
		return LoginResult{}, errLoginFailed
	}
	norm := phi.NormalizeEmail(email)
	sum := sha256.Sum256([]byte(orgID + "\x00" + norm))
	key := "login:" + hex.EncodeToString(sum[:16])

	fail := func(actorID, role, reason string) (LoginResult, error) {
		if err := throttle.Fail(ctx, key); err != nil {
			a.log.ErrorContext(ctx, "login throttle", "err", err.Error())
		}
		a.recordLogin(ctx, orgID, actorID, role, audit.Failure)
		a.log.InfoContext(ctx, "login failed", "reason", reason)
		return LoginResult{}, errLoginFailed
	}

	wait, err := throttle.Check(ctx, key)
	if err != nil {
		return LoginResult{}, errs.Wrap(err, errs.Unavailable, "identity.Authenticate: throttle")
	}
	if wait > 0 {
		_ = a.hasher.Dummy(ctx, password)
		a.recordLogin(ctx, orgID, "unknown", "anonymous", audit.Denied)
		a.log.InfoContext(ctx, "login throttled", "wait_s", int(wait.Seconds()))
		return LoginResult{}, errLoginFailed
	}
	ids, err := a.profiles.UserIDsByEmail(ctx, orgID, norm)
	if err != nil {
		return LoginResult{}, err
	}
	if len(ids) != 1 {
		_ = a.hasher.Dummy(ctx, password)
		return fail("unknown", "anonymous", "unknown_email")
	}
	u, err := a.orgs.UserByID(ctx, orgID, ids[0])
	if err != nil {
		return LoginResult{}, err
	}
	stored, err := a.accounts.PasswordHash(ctx, orgID, u.ID)
	if errs.Is(err, errs.NotFound) {
		_ = a.hasher.Dummy(ctx, password)
		return fail(u.ID, string(u.Role), "no_password")
	}
	if err != nil {
		return LoginResult{}, err
	}
	ok, rehash, err := a.hasher.Verify(ctx, password, stored)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		return fail(u.ID, string(u.Role), "wrong_password")
	}
	if u.Status != StatusActive {
		return fail(u.ID, string(u.Role), "deactivated")
	}
	prior, err := throttle.RecentFailures(ctx, key)
	if err != nil {
		prior = 0
	}
	if err := throttle.Succeed(ctx, key); err != nil {
		a.log.ErrorContext(ctx, "login throttle", "err", err.Error())
	}
	if rehash {
		if phc, err := a.hasher.Hash(ctx, password); err == nil {
			if err := a.accounts.SetPasswordHash(ctx, orgID, u.ID, phc); err != nil {
				a.log.WarnContext(ctx, "rehash after login", "err", err.Error())
			}
		}
	}
	// Fail closed: a sign-in that cannot be audited does not happen.
	if err := a.audit.Record(ctx, a.loginEvent(ctx, orgID, u.ID, string(u.Role), audit.Success)); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{User: u, PriorFailures: prior}, nil
}

func (a *Accounts) recordLogin(ctx context.Context, orgID, actorID, role string, outcome audit.Outcome) {
	if err := a.audit.Record(ctx, a.loginEvent(ctx, orgID, actorID, role, outcome)); err != nil {
		a.log.ErrorContext(ctx, "audit of a failed login", "err", err.Error())
	}
}

func (a *Accounts) loginEvent(ctx context.Context, orgID, actorID, role string, outcome audit.Outcome) audit.Event {
	info := reqctx.From(ctx)
	return audit.Event{
		OrgID: orgID, ActorID: actorID, ActorRole: role,
		Action: "auth.login", Outcome: outcome, Purpose: audit.PurposeNormal, Category: audit.CategoryAuthentication,
		IP: info.ClientIP, UserAgent: audit.CleanUserAgent(info.UserAgent), RequestID: info.ID,
	}
}
