package ratelimit

import (
	"context"
	"errors"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Backoff slows down guessing against one account. A login flow calls Check
// before verifying a password; if the wait is positive it answers with the
// generic login failure without hashing anything. After verifying it calls
// Fail or Succeed. Keys are per account (see the package comment).
//
// Every method returns an error of kind errs.Unavailable when shared state
// cannot be reached, and the ctx error when ctx is done. The caller must
// then treat the attempt as throttled (fail closed).
type Backoff interface {
	// Check returns how long key must still wait before a password may be
	// tried; zero means try now. It changes nothing.
	Check(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failed attempt for key, starting or lengthening its
	// wait.
	Fail(ctx context.Context, key string) error
	// Succeed forgets key's failures.
	Succeed(ctx context.Context, key string) error
	// RecentFailures returns key's consecutive failures not yet forgotten,
	// so that a successful login that followed several failures can notify
	// the account's owner. Call it before Succeed.
	RecentFailures(ctx context.Context, key string) (int, error)
}

// BackoffPolicy shapes a Backoff's waits.
type BackoffPolicy struct {
	// Free is how many consecutive failures cost no wait.
	Free int
	// Base is the wait after failure Free+1; each further failure doubles it.
	Base time.Duration
	// Max caps the wait.
	Max time.Duration
	// Reset is how long after the last failure all failures are forgotten.
	Reset time.Duration
}

// Validate reports whether p can be used: Free must not be negative, Base
// and Reset must be positive, Max at least Base, and Reset at most ten years.
func (p BackoffPolicy) Validate() error {
	if p.Free < 0 || p.Base <= 0 || p.Max < p.Base || p.Reset <= 0 || p.Reset > maxWindow {
		return errs.Wrap(errors.New("invalid backoff policy"), errs.Internal, "ratelimit.BackoffPolicy.Validate")
	}
	return nil
}

// Wait returns the wait that follows the given number of consecutive
// failures: zero up to Free, then Base·2^(failures-Free-1), capped at Max.
// Under DefaultBackoff failure 6 gives 1 s, 7 gives 2 s and 16 onwards 15 min.
func (p BackoffPolicy) Wait(failures int) time.Duration {
	if failures <= p.Free {
		return 0
	}
	w := p.Base
	for range failures - p.Free - 1 {
		if w >= p.Max {
			break
		}
		w *= 2
	}
	return min(w, p.Max)
}

// backoffState is one account's record: consecutive failures and the time
// of the last one, in Unix nanoseconds (memory) or microseconds (Redis).
type backoffState struct {
	failures int64
	last     int64
}

// current returns the failures still remembered at now, where reset is in
// the same unit as now and s.last.
func (s backoffState) current(now, reset int64) int64 {
	if s.failures <= 0 || now-s.last >= reset {
		return 0
	}
	return s.failures
}

// remaining returns how long the account must still wait at now, given the
// wait that its failure count earns.
func (s backoffState) remaining(now int64, wait time.Duration, unit time.Duration) time.Duration {
	return max(time.Duration(s.last-now)*unit+wait, 0)
}
