package ratelimit

import (
	"context"
	"time"
)

// Memory is a Limiter that keeps state in this process. It suits a single
// instance (the embedded mode); several instances each enforce the limit on
// their own, so use Redis behind a load balancer.
type Memory struct {
	now   func() time.Time
	state *table[int64] // theoretical arrival time, Unix nanoseconds
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an in-process limiter. It honours WithClock and
// WithMaxKeys, and panics on invalid options.
func NewMemory(opts ...Option) *Memory {
	o := buildOptions(opts)
	return &Memory{
		now: o.now,
		state: newTable(o.maxKeys,
			func(tat, now int64) bool { return tat > now },
			func(a, b int64) bool { return a < b }, // closer to fresh
		),
	}
}

// Allow implements Limiter. It returns an error only for an invalid limit
// or a done ctx.
func (m *Memory) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	d := hashKey(key)
	now := m.now().UnixNano()
	s := m.state.shard(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	allowed, retry, remaining, tat := gcra(now, s.m[d], int64(limit.Interval()), int64(limit.Burst))
	if allowed {
		m.state.put(s, d, tat, now)
	}
	return Decision{Allowed: allowed, RetryAfter: time.Duration(retry), Remaining: int(remaining)}, nil
}

// Len returns how many keys the limiter holds, including idle ones not yet
// swept. It is meant for tests and metrics.
func (m *Memory) Len() int { return m.state.len() }
