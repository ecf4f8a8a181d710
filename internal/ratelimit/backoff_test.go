package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/ratelimit"
)

// checkState fails the test unless key must wait exactly wait and remembers
// exactly failures.
func checkState(t *testing.T, b ratelimit.Backoff, key string, wait time.Duration, failures int) {
	t.Helper()
	ctx := context.Background()
	got, err := b.Check(ctx, key)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	n, err := b.RecentFailures(ctx, key)
	if err != nil {
		t.Fatalf("RecentFailures: %v", err)
	}
	if got != wait || n != failures {
		t.Errorf("Check, RecentFailures = %v, %d; want %v, %d", got, n, wait, failures)
	}
}

func mustFail(t *testing.T, b ratelimit.Backoff, key string) {
	t.Helper()
	if err := b.Fail(context.Background(), key); err != nil {
		t.Fatalf("Fail: %v", err)
	}
}

func TestBackoffSchedule(t *testing.T) {
	// Wait right after the n-th consecutive failure under DefaultBackoff.
	want := []time.Duration{
		1: 0, 2: 0, 3: 0, 4: 0, 5: 0,
		6:  time.Second,
		7:  2 * time.Second,
		8:  4 * time.Second,
		9:  8 * time.Second,
		10: 16 * time.Second,
		11: 32 * time.Second,
		12: 64 * time.Second,
		13: 128 * time.Second,
		14: 256 * time.Second,
		15: 512 * time.Second,
		16: 15 * time.Minute, // 1024 s capped
		17: 15 * time.Minute,
		40: 15 * time.Minute,
	}
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock()
		b := im.backoff(t, c)
		const key = "login:alice@example.org"
		checkState(t, b, key, 0, 0)
		for n := 1; n < len(want); n++ {
			mustFail(t, b, key)
			if n < 17 || n == len(want)-1 {
				checkState(t, b, key, want[n], n)
			}
			if w := want[n]; w > 0 {
				// The wait runs down with the clock and ends exactly.
				c.Advance(w - time.Millisecond)
				checkState(t, b, key, time.Millisecond, n)
				c.Advance(time.Millisecond)
				checkState(t, b, key, 0, n)
			}
		}
	})
}

func TestBackoffSuccessResets(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock()
		b := im.backoff(t, c)
		const key = "login:bob@example.org"
		for range 8 {
			mustFail(t, b, key)
		}
		checkState(t, b, key, 4*time.Second, 8)
		if err := b.Succeed(context.Background(), key); err != nil {
			t.Fatalf("Succeed: %v", err)
		}
		checkState(t, b, key, 0, 0)
		for n := 1; n <= 5; n++ { // five free failures again
			mustFail(t, b, key)
			checkState(t, b, key, 0, n)
		}
		mustFail(t, b, key)
		checkState(t, b, key, time.Second, 6)
	})
}

func TestBackoffForgetsAfterTwelveQuietHours(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock()
		b := im.backoff(t, c)
		const key = "login:carol@example.org"
		for range 20 {
			mustFail(t, b, key)
		}
		checkState(t, b, key, 15*time.Minute, 20)
		c.Advance(12*time.Hour - time.Second)
		checkState(t, b, key, 0, 20) // wait over, failures still remembered
		mustFail(t, b, key)          // a failure restarts the 12 hours
		checkState(t, b, key, 15*time.Minute, 21)
		c.Advance(12 * time.Hour)
		checkState(t, b, key, 0, 0)
		mustFail(t, b, key)
		checkState(t, b, key, 0, 1)
	})
}

func TestBackoffKeyIsolation(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		b := im.backoff(t, newClock())
		for range 10 {
			mustFail(t, b, "login:dave@example.org")
		}
		checkState(t, b, "login:dave@example.org", 16*time.Second, 10)
		checkState(t, b, "login:Dave@example.org", 0, 0)
		checkState(t, b, "mfa:dave@example.org", 0, 0)
	})
}

func TestBackoffCustomPolicy(t *testing.T) {
	p := ratelimit.BackoffPolicy{Free: 0, Base: 30 * time.Second, Max: time.Hour, Reset: 24 * time.Hour}
	makers := map[string]func(t *testing.T, c *clock) ratelimit.Backoff{
		"memory": func(t *testing.T, c *clock) ratelimit.Backoff {
			return ratelimit.NewMemoryBackoff(ratelimit.WithClock(c.Now), ratelimit.WithPolicy(p))
		},
		"redis": func(t *testing.T, c *clock) ratelimit.Backoff {
			client, prefix := redisClient(t)
			return ratelimit.NewRedisBackoff(client, prefix, ratelimit.WithClock(c.Now), ratelimit.WithPolicy(p))
		},
	}
	for name, mk := range makers {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			b := mk(t, c)
			mustFail(t, b, "mfa:user-1")
			checkState(t, b, "mfa:user-1", 30*time.Second, 1)
			c.Advance(23 * time.Hour)
			checkState(t, b, "mfa:user-1", 0, 1)
			c.Advance(time.Hour)
			checkState(t, b, "mfa:user-1", 0, 0)
		})
	}
}
