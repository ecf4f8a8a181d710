package ratelimit

import (
	"fmt"
	"time"
)

// Option configures a limiter or backoff at construction. Each option says
// which constructors it applies to; the others ignore it.
type Option func(*options)

type options struct {
	now     func() time.Time
	maxKeys int
	policy  BackoffPolicy
}

// DefaultMaxKeys is how many keys an in-process limiter or backoff keeps
// before it starts forgetting the least constrained ones: a few megabytes
// (each entry is a 16-byte digest and 8 or 16 bytes of state).
const DefaultMaxKeys = 100_000

// WithClock makes every implementation read the time from now instead of
// time.Now. Tests pass a fake clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithMaxKeys bounds the keys an in-process implementation (NewMemory,
// NewMemoryBackoff) holds; n must be positive.
func WithMaxKeys(n int) Option {
	return func(o *options) { o.maxKeys = n }
}

// WithPolicy replaces DefaultBackoff in a backoff (NewMemoryBackoff,
// NewRedisBackoff); p must pass Validate.
func WithPolicy(p BackoffPolicy) Option {
	return func(o *options) { o.policy = p }
}

// buildOptions applies opts over the defaults. It panics on a nil clock, a
// non-positive key bound or an invalid policy: those are programming
// mistakes that must not wait for the first login to show.
func buildOptions(opts []Option) options {
	o := options{now: time.Now, maxKeys: DefaultMaxKeys, policy: DefaultBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		panic("ratelimit: WithClock(nil)")
	}
	if o.maxKeys <= 0 {
		panic(fmt.Sprintf("ratelimit: WithMaxKeys(%d): must be positive", o.maxKeys))
	}
	if err := o.policy.Validate(); err != nil {
		panic("ratelimit: WithPolicy: " + err.Error())
	}
	return o
}
