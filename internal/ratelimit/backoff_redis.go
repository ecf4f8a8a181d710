package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/errs"
)

// errUnexpectedReply reports a Redis reply of the wrong shape.
var errUnexpectedReply = errors.New("unexpected reply from redis")

// RedisBackoff is a Backoff whose failure counts live in Redis, shared by
// every instance. Each account is one hash {n: failures, t: last failure in
// Unix microseconds} that expires Reset after the last failure.
type RedisBackoff struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
	policy BackoffPolicy
}

var _ Backoff = (*RedisBackoff)(nil)

// NewRedisBackoff returns a backoff storing its keys under prefix (such as
// "astral:backoff:") in the Redis that client reaches. It honours WithClock
// and WithPolicy, and panics on invalid options.
func NewRedisBackoff(client redis.UniversalClient, prefix string, opts ...Option) *RedisBackoff {
	o := buildOptions(opts)
	return &RedisBackoff{client: client, prefix: prefix, now: o.now, policy: o.policy}
}

// failScript counts one failure atomically, forgetting earlier ones that
// are Reset old. The stored time never moves backwards, so an instance
// whose clock lags cannot shorten another's wait.
//
// KEYS[1] state key; ARGV[1] now (µs); ARGV[2] reset (µs). Returns failures.
var failScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local reset = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 't')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
if now - last >= reset then n = 0 end
if last > now then now = last end
n = n + 1
redis.call('HSET', KEYS[1], 'n', string.format('%d', n), 't', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(reset / 1000)))
return n
`)

// read returns key's state at now (µs), with forgotten failures cleared.
func (b *RedisBackoff) read(ctx context.Context, key string, now int64) (backoffState, error) {
	vals, err := b.client.HMGet(ctx, redisKey(b.prefix, "b:", key), "n", "t").Result()
	if err != nil {
		return backoffState{}, err
	}
	if len(vals) != 2 {
		return backoffState{}, errUnexpectedReply
	}
	var st backoffState
	for i, p := range []*int64{&st.failures, &st.last} {
		s, ok := vals[i].(string)
		if !ok {
			return backoffState{}, nil // absent: no failures
		}
		if *p, err = strconv.ParseInt(s, 10, 64); err != nil {
			return backoffState{}, errUnexpectedReply
		}
	}
	st.failures = st.current(now, b.policy.Reset.Microseconds())
	return st, nil
}

// Check implements Backoff. Errors reaching Redis are of kind
// errs.Unavailable.
func (b *RedisBackoff) Check(ctx context.Context, key string) (time.Duration, error) {
	now := b.now().UnixMicro()
	st, err := b.read(ctx, key, now)
	if err != nil {
		return 0, errs.Wrap(err, errs.Unavailable, "ratelimit.RedisBackoff.Check")
	}
	return st.remaining(now, b.policy.Wait(int(st.failures)), time.Microsecond), nil
}

// Fail implements Backoff. Errors reaching Redis are of kind
// errs.Unavailable.
func (b *RedisBackoff) Fail(ctx context.Context, key string) error {
	err := failScript.Run(ctx, b.client, []string{redisKey(b.prefix, "b:", key)},
		b.now().UnixMicro(), b.policy.Reset.Microseconds()).Err()
	return errs.Wrap(err, errs.Unavailable, "ratelimit.RedisBackoff.Fail")
}

// Succeed implements Backoff. Errors reaching Redis are of kind
// errs.Unavailable.
func (b *RedisBackoff) Succeed(ctx context.Context, key string) error {
	err := b.client.Del(ctx, redisKey(b.prefix, "b:", key)).Err()
	return errs.Wrap(err, errs.Unavailable, "ratelimit.RedisBackoff.Succeed")
}

// RecentFailures implements Backoff. Errors reaching Redis are of kind
// errs.Unavailable.
func (b *RedisBackoff) RecentFailures(ctx context.Context, key string) (int, error) {
	st, err := b.read(ctx, key, b.now().UnixMicro())
	if err != nil {
		return 0, errs.Wrap(err, errs.Unavailable, "ratelimit.RedisBackoff.RecentFailures")
	}
	return int(st.failures), nil
}
