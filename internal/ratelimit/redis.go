package ratelimit

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/errs"
)

// Redis is a Limiter whose state lives in Redis, so that every instance of
// Astral Core enforces one shared limit. Each decision is one Lua script,
// which Redis runs atomically, so concurrent requests on any instances can
// never pass more than the limit. Keys expire once they no longer matter.
type Redis struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing its keys under prefix (such as
// "astral:ratelimit:") in the Redis that client reaches. It honours
// WithClock and panics on invalid options.
func NewRedis(client redis.UniversalClient, prefix string, opts ...Option) *Redis {
	o := buildOptions(opts)
	return &Redis{client: client, prefix: prefix, now: o.now}
}

// gcraScript is gcra in Lua. Times are in microseconds: Lua numbers are
// doubles, exact for integers below 2^53 (285 years of microseconds), but
// not for Unix nanoseconds. string.format("%d") keeps every digit when a
// number goes back to Redis.
//
// KEYS[1] state key; ARGV[1] now; ARGV[2] interval; ARGV[3] burst.
// Returns {allowed 0|1, retry after, remaining}.
var gcraScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if now < allow_at then
  return {0, allow_at - now, 0}
end
local new_tat = tat + interval
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', string.format('%d', ttl_ms))
return {1, 0, math.floor((burst * interval - (new_tat - now)) / interval)}
`)

// Allow implements Limiter. The interval is rounded up to whole
// microseconds, so Redis is never looser than Memory. Errors reaching Redis
// are of kind errs.Unavailable.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	interval := (limit.Interval() + time.Microsecond - 1) / time.Microsecond
	res, err := gcraScript.Run(ctx, r.client, []string{redisKey(r.prefix, "l:", key)},
		r.now().UnixMicro(), int64(interval), limit.Burst).Int64Slice()
	if err != nil {
		return Decision{}, errs.Wrap(err, errs.Unavailable, "ratelimit.Redis.Allow")
	}
	if len(res) != 3 {
		return Decision{}, errs.Wrap(errUnexpectedReply, errs.Unavailable, "ratelimit.Redis.Allow")
	}
	return Decision{
		Allowed:    res[0] == 1,
		RetryAfter: time.Duration(res[1]) * time.Microsecond,
		Remaining:  int(res[2]),
	}, nil
}

// redisKey returns the Redis key for key: prefix, a kind ("l:" for limiter,
// "b:" for backoff, so the two never collide) and the key's digest in hex.
func redisKey(prefix, kind, key string) string {
	d := hashKey(key)
	return prefix + kind + hex.EncodeToString(d[:])
}
