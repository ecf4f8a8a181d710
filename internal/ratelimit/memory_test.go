package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/ratelimit"
)

const floodKeys = 100_000

func TestMemoryStaysBounded(t *testing.T) {
	const maxKeys = 1000
	c := newClock()
	l := ratelimit.NewMemory(ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(maxKeys))
	ctx := context.Background()

	// A throttled key must survive the flood: it is further from fresh than
	// any flood key, so eviction never picks it.
	const hot = "login-ip:203.0.113.66"
	for range ratelimit.LoginPerIP.Burst {
		if _, err := l.Allow(ctx, hot, ratelimit.LoginPerIP); err != nil {
			t.Fatal(err)
		}
	}
	peak := 0
	for i := range floodKeys {
		d, err := l.Allow(ctx, fmt.Sprintf("login-ip:10.%d.%d.%d", i>>16, i>>8&0xff, i&0xff), ratelimit.LoginPerIP)
		if err != nil || !d.Allowed {
			t.Fatalf("flood key %d: %+v, %v; want allowed", i, d, err)
		}
		if i%1000 == 0 {
			peak = max(peak, l.Len())
		}
	}
	peak = max(peak, l.Len())
	if peak > maxKeys {
		t.Errorf("after %d distinct keys the limiter held up to %d, want at most %d", floodKeys, peak, maxKeys)
	}
	if d, err := l.Allow(ctx, hot, ratelimit.LoginPerIP); err != nil || d.Allowed {
		t.Errorf("throttled key after the flood: %+v, %v; want still denied", d, err)
	}
}

func TestMemoryIdleKeysMakeRoom(t *testing.T) {
	// Ten rounds of 3000 distinct keys, each round after the previous one's
	// keys went idle, through a limiter that holds 6400: far more keys than
	// fit, but never more live ones (about 47 of 100 per shard). Idle keys
	// must make room, so no live key is ever forgotten.
	const maxKeys, perRound = 6400, 3000
	c := newClock()
	l := ratelimit.NewMemory(ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(maxKeys))
	ctx := context.Background()
	limit := ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 1}
	for round := range 10 {
		for i := range perRound {
			if _, err := l.Allow(ctx, fmt.Sprintf("search:%d-%d", round, i), limit); err != nil {
				t.Fatal(err)
			}
		}
		for i := range perRound {
			d, err := l.Allow(ctx, fmt.Sprintf("search:%d-%d", round, i), limit)
			if err != nil || d.Allowed {
				t.Fatalf("round %d: live key %d forgotten: %+v, %v; want denied", round, i, d, err)
			}
		}
		if n := l.Len(); n > maxKeys {
			t.Fatalf("round %d: Len = %d, want at most %d", round, n, maxKeys)
		}
		c.Advance(time.Second) // every key goes idle
	}
}

func TestMemoryBackoffStaysBounded(t *testing.T) {
	const maxKeys = 1000
	c := newClock()
	b := ratelimit.NewMemoryBackoff(ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(maxKeys))
	const victim = "login:erin@example.org"
	for range 12 {
		mustFail(t, b, victim)
	}
	for i := range floodKeys {
		mustFail(t, b, fmt.Sprintf("login:user%d@example.org", i))
	}
	if n := b.Len(); n > maxKeys {
		t.Errorf("after %d distinct keys the backoff held %d, want at most %d", floodKeys, n, maxKeys)
	}
	checkState(t, b, victim, 64*time.Second, 12)
}

func TestOptionsPanicOnMistakes(t *testing.T) {
	tests := map[string]func(){
		"nil clock":      func() { ratelimit.NewMemory(ratelimit.WithClock(nil)) },
		"zero max keys":  func() { ratelimit.NewMemoryBackoff(ratelimit.WithMaxKeys(0)) },
		"invalid policy": func() { ratelimit.NewMemoryBackoff(ratelimit.WithPolicy(ratelimit.BackoffPolicy{})) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("constructor did not panic")
				}
			}()
			fn()
		})
	}
}
