package ratelimit

import (
	"context"
	"time"
)

// MemoryBackoff is a Backoff that keeps state in this process, for a single
// instance. Several instances would each count failures on their own; use
// RedisBackoff behind a load balancer.
type MemoryBackoff struct {
	now    func() time.Time
	policy BackoffPolicy
	state  *table[backoffState] // times in Unix nanoseconds
}

var _ Backoff = (*MemoryBackoff)(nil)

// NewMemoryBackoff returns an in-process backoff. It honours WithClock,
// WithMaxKeys and WithPolicy, and panics on invalid options.
func NewMemoryBackoff(opts ...Option) *MemoryBackoff {
	o := buildOptions(opts)
	reset := int64(o.policy.Reset)
	return &MemoryBackoff{
		now:    o.now,
		policy: o.policy,
		state: newTable(o.maxKeys,
			func(s backoffState, now int64) bool { return s.current(now, reset) > 0 },
			func(a, b backoffState) bool { // fewer failures, then older
				return a.failures < b.failures || a.failures == b.failures && a.last < b.last
			},
		),
	}
}

// read returns key's state at now, with forgotten failures cleared.
func (b *MemoryBackoff) read(key string, now int64) backoffState {
	d := hashKey(key)
	s := b.state.shard(d)
	s.mu.Lock()
	st := s.m[d]
	s.mu.Unlock()
	st.failures = st.current(now, int64(b.policy.Reset))
	return st
}

// Check implements Backoff. It returns an error only when ctx is done.
func (b *MemoryBackoff) Check(ctx context.Context, key string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := b.now().UnixNano()
	st := b.read(key, now)
	return st.remaining(now, b.policy.Wait(int(st.failures)), time.Nanosecond), nil
}

// Fail implements Backoff. It returns an error only when ctx is done.
func (b *MemoryBackoff) Fail(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := b.now().UnixNano()
	d := hashKey(key)
	s := b.state.shard(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[d]
	st.failures = st.current(now, int64(b.policy.Reset)) + 1
	st.last = max(st.last, now) // never backwards, like the Redis script
	b.state.put(s, d, st, now)
	return nil
}

// Succeed implements Backoff. It returns an error only when ctx is done.
func (b *MemoryBackoff) Succeed(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := hashKey(key)
	s := b.state.shard(d)
	s.mu.Lock()
	delete(s.m, d)
	s.mu.Unlock()
	return nil
}

// RecentFailures implements Backoff. It returns an error only when ctx is
// done.
func (b *MemoryBackoff) RecentFailures(ctx context.Context, key string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return int(b.read(key, b.now().UnixNano()).failures), nil
}

// Len returns how many keys the backoff holds, including forgotten ones not
// yet swept. It is meant for tests and metrics.
func (b *MemoryBackoff) Len() int { return b.state.len() }
