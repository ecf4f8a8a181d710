package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Limit allows Rate requests per Per on average, and up to Burst at once.
// After a burst, requests pass one every Per/Rate (the interval).
type Limit struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// maxWindow bounds Burst·interval, the time a key's state can reach into the
// future, so that the arithmetic cannot overflow (and Lua's doubles, counting
// microseconds, stay exact).
const maxWindow = 10 * 365 * 24 * time.Hour

// Interval returns Per/Rate, the steady spacing between allowed requests.
// It is zero for a limit that fails Validate.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 || l.Per <= 0 {
		return 0
	}
	return l.Per / time.Duration(l.Rate)
}

// Validate reports whether the limit can be enforced: Rate, Per and Burst
// must be positive, the interval at least a microsecond and Burst·interval
// at most ten years. The error is of kind errs.Internal, since a bad limit
// is a programming mistake.
func (l Limit) Validate() error {
	switch {
	case l.Rate <= 0 || l.Per <= 0 || l.Burst <= 0:
		return errs.Wrap(errors.New("rate, per and burst must be positive"), errs.Internal, "ratelimit.Limit.Validate")
	case l.Interval() < time.Microsecond:
		return errs.Wrap(errors.New("interval below one microsecond"), errs.Internal, "ratelimit.Limit.Validate")
	case time.Duration(l.Burst) > maxWindow/l.Interval():
		return errs.Wrap(errors.New("burst times interval exceeds ten years"), errs.Internal, "ratelimit.Limit.Validate")
	}
	return nil
}

// Decision is a limiter's answer for one request.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// RetryAfter is how long to wait before the next request under the same
	// key would be allowed; zero when Allowed.
	RetryAfter time.Duration
	// Remaining is how many more requests would be allowed right now.
	Remaining int
}

// Limiter decides whether requests under a key are within a limit.
type Limiter interface {
	// Allow counts one request under key against limit and reports whether
	// it may proceed. An allowed request consumes capacity; a denied one
	// does not. Allow returns an error, and no decision, when the limit is
	// invalid (kind errs.Internal), when shared state cannot be reached
	// (kind errs.Unavailable) or when ctx is done; see AllowOrDeny.
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

// AllowOrDeny calls l.Allow and fails closed: when Allow returns an error,
// the decision denies the request with a RetryAfter of one interval (at
// least a second). The error is returned only so that the caller can log it;
// the decision is valid either way. Use it for login, MFA and reset limits.
func AllowOrDeny(ctx context.Context, l Limiter, key string, limit Limit) (Decision, error) {
	d, err := l.Allow(ctx, key, limit)
	if err == nil {
		return d, nil
	}
	wait := max(limit.Interval(), time.Second)
	return Decision{Allowed: false, RetryAfter: wait}, err
}

// gcra decides one request at now for a key whose theoretical arrival time
// is tat (zero or in the past for a fresh key), in any one time unit. It
// returns the decision's fields in that unit and the TAT to store when
// allowed. The Lua script in redis.go mirrors it line by line.
func gcra(now, tat, interval, burst int64) (allowed bool, retryAfter int64, remaining int64, newTAT int64) {
	tat = max(tat, now)
	allowAt := tat + interval - burst*interval
	if now < allowAt {
		return false, allowAt - now, 0, tat
	}
	newTAT = tat + interval
	return true, 0, (burst*interval - (newTAT - now)) / interval, newTAT
}

// RetryAfterSeconds formats d for an HTTP Retry-After header: whole seconds,
// rounded up so that a client never comes back too early; "0" for d <= 0.
func RetryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	s := d / time.Second
	if d%time.Second != 0 {
		s++
	}
	return strconv.FormatInt(int64(s), 10)
}

// IPKey returns the limiter key for a client address under scope, such as
// IPKey("login-ip", addr) = "login-ip:203.0.113.9". IPv4 addresses (also when
// mapped into IPv6) are used whole; IPv6 addresses are cut to their /64
// network, since one subscriber is usually given a whole /64 and could
// otherwise rotate through 2^64 keys. An invalid address gives scope+":invalid",
// one shared key, so that malformed input is limited rather than unlimited.
func IPKey(scope string, addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.Is4():
		return scope + ":" + addr.String()
	case addr.Is6():
		p, err := addr.WithZone("").Prefix(64)
		if err != nil {
			return scope + ":invalid"
		}
		return fmt.Sprintf("%s:%s", scope, p)
	}
	return scope + ":invalid"
}
