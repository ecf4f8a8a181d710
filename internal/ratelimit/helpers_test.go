package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/testenv"
)

// clock is a fake clock that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// impl builds one implementation's limiter and backoff on a shared clock.
type impl struct {
	name       string
	limiter    func(t *testing.T, c *clock) ratelimit.Limiter
	backoff    func(t *testing.T, c *clock) ratelimit.Backoff
	needsRedis bool
}

// impls lists every implementation. The Redis one skips (or fails under
// ASTRAL_TEST_STRICT=1) without ASTRAL_TEST_REDIS_URL.
var impls = []impl{
	{
		name: "memory",
		limiter: func(t *testing.T, c *clock) ratelimit.Limiter {
			return ratelimit.NewMemory(ratelimit.WithClock(c.Now))
		},
		backoff: func(t *testing.T, c *clock) ratelimit.Backoff {
			return ratelimit.NewMemoryBackoff(ratelimit.WithClock(c.Now))
		},
	},
	{
		name: "redis",
		limiter: func(t *testing.T, c *clock) ratelimit.Limiter {
			client, prefix := redisClient(t)
			return ratelimit.NewRedis(client, prefix, ratelimit.WithClock(c.Now))
		},
		backoff: func(t *testing.T, c *clock) ratelimit.Backoff {
			client, prefix := redisClient(t)
			return ratelimit.NewRedisBackoff(client, prefix, ratelimit.WithClock(c.Now))
		},
		needsRedis: true,
	},
}

// forEachImpl runs fn as a subtest per implementation.
func forEachImpl(t *testing.T, fn func(t *testing.T, im impl)) {
	t.Helper()
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) { fn(t, im) })
	}
}

// redisClient connects to the test Redis, or skips, and returns a key
// prefix unique to this test. Cleanup deletes every key under the prefix.
func redisClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatalf("parse %s: %v", testenv.EnvRedis, err)
	}
	client := redis.NewClient(opts)
	ctx := context.Background()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis ping: %v", err)
	}
	prefix := "astral-test:ratelimit:" + randomHex(t) + ":"
	t.Cleanup(func() {
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("redis cleanup: %v", err)
		}
		if err := client.Close(); err != nil {
			t.Errorf("redis close: %v", err)
		}
	})
	return client, prefix
}

// secondClient returns a second client on the same Redis, for tests of two
// instances sharing state under one prefix.
func secondClient(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatalf("parse %s: %v", testenv.EnvRedis, err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("redis close: %v", err)
		}
	})
	return client
}

// deadRedis returns a client for an address where nothing listens: a port
// that was free a moment ago.
func deadRedis(t *testing.T) *redis.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	client := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second,
	})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
