package ratelimit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/ratelimit"
)

func TestRedisInstancesAgree(t *testing.T) {
	c := newClock()
	client1, prefix := redisClient(t)
	client2 := secondClient(t)
	a := ratelimit.NewRedis(client1, prefix, ratelimit.WithClock(c.Now))
	b := ratelimit.NewRedis(client2, prefix, ratelimit.WithClock(c.Now))
	ctx := context.Background()
	limit := ratelimit.Limit{Rate: 4, Per: time.Minute, Burst: 4}
	want := []ratelimit.Decision{allowed(3), allowed(2), allowed(1), allowed(0), denied(15 * time.Second), denied(15 * time.Second)}
	for i, w := range want {
		l := a
		if i%2 == 1 {
			l = b
		}
		got, err := l.Allow(ctx, "export:user-7", limit)
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("request %d (instance %d) = %+v, want %+v", i, i%2, got, w)
		}
	}

	ba := ratelimit.NewRedisBackoff(client1, prefix, ratelimit.WithClock(c.Now))
	bb := ratelimit.NewRedisBackoff(client2, prefix, ratelimit.WithClock(c.Now))
	for range 3 {
		mustFail(t, ba, "login:frank@example.org")
		mustFail(t, bb, "login:frank@example.org")
	}
	checkState(t, ba, "login:frank@example.org", time.Second, 6)
	checkState(t, bb, "login:frank@example.org", time.Second, 6)
	if err := bb.Succeed(ctx, "login:frank@example.org"); err != nil {
		t.Fatal(err)
	}
	checkState(t, ba, "login:frank@example.org", 0, 0)
}

func TestRedisKeysExpireAndHideIdentifiers(t *testing.T) {
	client, prefix := redisClient(t)
	l := ratelimit.NewRedis(client, prefix)
	b := ratelimit.NewRedisBackoff(client, prefix)
	ctx := context.Background()
	if _, err := l.Allow(ctx, "reset:grace@example.org", ratelimit.ResetPerAccount); err != nil {
		t.Fatal(err)
	}
	mustFail(t, b, "login:grace@example.org")

	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("found %d keys under the test prefix, want 2", len(keys))
	}
	maxTTL := map[string]time.Duration{
		"l:": ratelimit.ResetPerAccount.Interval(), // one request's worth
		"b:": ratelimit.DefaultBackoff.Reset,
	}
	for _, k := range keys {
		if strings.Contains(k, "grace") || strings.Contains(k, "example") {
			t.Errorf("Redis key %q holds the identifier in clear", k)
		}
		kind := strings.TrimPrefix(k, prefix)[:2]
		ttl, err := client.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > maxTTL[kind] {
			t.Errorf("key of kind %q has TTL %v, want in (0, %v]", kind, ttl, maxTTL[kind])
		}
	}
}

func TestRedisDownFailsClosed(t *testing.T) {
	client := deadRedis(t)
	l := ratelimit.NewRedis(client, "astral-test:")
	b := ratelimit.NewRedisBackoff(client, "astral-test:")
	ctx := context.Background()

	_, err := l.Allow(ctx, "login-ip:192.0.2.7", ratelimit.LoginPerIP)
	if !errs.Is(err, errs.Unavailable) {
		t.Errorf("Allow err = %v, want kind unavailable", err)
	}
	d, err := ratelimit.AllowOrDeny(ctx, l, "login-ip:192.0.2.7", ratelimit.LoginPerIP)
	if err == nil || d.Allowed || d.RetryAfter < time.Second {
		t.Errorf("AllowOrDeny = %+v, %v; want denied with RetryAfter >= 1s and the error", d, err)
	}

	calls := map[string]func() error{
		"Check": func() error { _, err := b.Check(ctx, "login:h@example.org"); return err },
		"Fail":  func() error { return b.Fail(ctx, "login:h@example.org") },
		"Succeed": func() error {
			return b.Succeed(ctx, "login:h@example.org")
		},
		"RecentFailures": func() error { _, err := b.RecentFailures(ctx, "login:h@example.org"); return err },
	}
	for name, call := range calls {
		if err := call(); !errs.Is(err, errs.Unavailable) {
			t.Errorf("%s err = %v, want kind unavailable", name, err)
		} else if strings.Contains(err.Error(), "example.org") {
			t.Errorf("%s error %q names the key", name, err)
		}
	}
}
