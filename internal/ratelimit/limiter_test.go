package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/ratelimit"
)

// step is one request in a scripted sequence: advance the clock, ask, and
// compare the decision.
type step struct {
	advance time.Duration
	want    ratelimit.Decision
}

func allowed(remaining int) ratelimit.Decision {
	return ratelimit.Decision{Allowed: true, Remaining: remaining}
}

func denied(retry time.Duration) ratelimit.Decision {
	return ratelimit.Decision{RetryAfter: retry}
}

func TestLimiterSequences(t *testing.T) {
	login := ratelimit.Limit{Rate: 20, Per: time.Minute, Burst: 10} // interval 3 s
	tests := []struct {
		name  string
		limit ratelimit.Limit
		steps []step
	}{
		{
			name:  "burst then retry after one interval",
			limit: login,
			steps: []step{
				{0, allowed(9)}, {0, allowed(8)}, {0, allowed(7)}, {0, allowed(6)}, {0, allowed(5)},
				{0, allowed(4)}, {0, allowed(3)}, {0, allowed(2)}, {0, allowed(1)}, {0, allowed(0)},
				{0, denied(3 * time.Second)},
				{time.Second, denied(2 * time.Second)},
				{2*time.Second - time.Millisecond, denied(time.Millisecond)},
				{time.Millisecond, allowed(0)},
				{0, denied(3 * time.Second)},
			},
		},
		{
			name:  "idle refills the whole burst",
			limit: login,
			steps: []step{
				{0, allowed(9)}, {0, allowed(8)},
				{6 * time.Second, allowed(9)},
				{time.Hour, allowed(9)},
			},
		},
		{
			name:  "partial refill",
			limit: login,
			steps: []step{
				{0, allowed(9)}, {0, allowed(8)}, {0, allowed(7)}, {0, allowed(6)},
				{3 * time.Second, allowed(6)}, // one token back, one spent
				{3 * time.Second, allowed(6)},
			},
		},
		{
			name:  "burst of one spaces requests evenly",
			limit: ratelimit.Limit{Rate: 2, Per: time.Second, Burst: 1},
			steps: []step{
				{0, allowed(0)},
				{0, denied(500 * time.Millisecond)},
				{499 * time.Millisecond, denied(time.Millisecond)},
				{time.Millisecond, allowed(0)},
				{500 * time.Millisecond, allowed(0)},
			},
		},
		{
			name:  "denied requests do not push the next slot back",
			limit: ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 1},
			steps: []step{
				{0, allowed(0)},
				{10 * time.Second, denied(50 * time.Second)},
				{10 * time.Second, denied(40 * time.Second)},
				{40 * time.Second, allowed(0)},
			},
		},
	}
	forEachImpl(t, func(t *testing.T, im impl) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newClock()
				l := im.limiter(t, c)
				for i, s := range tt.steps {
					c.Advance(s.advance)
					got, err := l.Allow(context.Background(), "ip:203.0.113.9", tt.limit)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if diff := cmp.Diff(s.want, got); diff != "" {
						t.Errorf("step %d: decision (-want +got):\n%s", i, diff)
					}
				}
			})
		}
	})
}

func TestLimiterSteadyRate(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock()
		l := im.limiter(t, c)
		// One request every 100 ms for a minute against 20/min, burst 10:
		// the burst at the start, then one every 3 s (t = 3 s … 60 s).
		n := 0
		for i := 0; i <= 600; i++ {
			d, err := l.Allow(context.Background(), "login-ip:198.51.100.7", ratelimit.LoginPerIP)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if d.Allowed {
				n++
			} else if d.RetryAfter <= 0 || d.RetryAfter > 3*time.Second {
				t.Errorf("request %d: RetryAfter = %v, want in (0, 3s]", i, d.RetryAfter)
			}
			c.Advance(100 * time.Millisecond)
		}
		if n != 30 {
			t.Errorf("allowed %d requests in 60 s, want 30", n)
		}
	})
}

func TestLimiterKeyIsolation(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock()
		l := im.limiter(t, c)
		ctx := context.Background()
		limit := ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 2}
		for range 2 {
			if d, err := l.Allow(ctx, "reset-ip:192.0.2.1", limit); err != nil || !d.Allowed {
				t.Fatalf("Allow(first key) = %+v, %v; want allowed", d, err)
			}
		}
		if d, err := l.Allow(ctx, "reset-ip:192.0.2.1", limit); err != nil || d.Allowed {
			t.Fatalf("Allow(first key, exhausted) = %+v, %v; want denied", d, err)
		}
		for _, key := range []string{"reset-ip:192.0.2.2", "login-ip:192.0.2.1", "reset-ip:192.0.2.10"} {
			d, err := l.Allow(ctx, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(allowed(1), d); diff != "" {
				t.Errorf("Allow(%q) after another key was exhausted (-want +got):\n%s", key, diff)
			}
		}
	})
}

func TestLimiterConcurrency(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := newClock() // frozen: nothing refills during the test
		l := im.limiter(t, c)
		limit := ratelimit.Limit{Rate: 10, Per: time.Minute, Burst: 10}
		var (
			wg      sync.WaitGroup
			ok, bad atomic.Int64
			start   = make(chan struct{})
		)
		for range 100 {
			wg.Go(func() {
				<-start
				d, err := l.Allow(context.Background(), "upload:user-1", limit)
				switch {
				case err != nil:
					bad.Add(1)
				case d.Allowed:
					ok.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if bad.Load() != 0 {
			t.Fatalf("%d requests failed", bad.Load())
		}
		if ok.Load() != 10 {
			t.Errorf("allowed %d of 100 concurrent requests, want exactly 10", ok.Load())
		}
	})
}

func TestLimiterRejectsInvalidLimit(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		l := im.limiter(t, newClock())
		for _, limit := range []ratelimit.Limit{{}, {Rate: 1, Per: time.Second}, {Rate: -1, Per: time.Second, Burst: 1}} {
			_, err := l.Allow(context.Background(), "k", limit)
			if !errs.Is(err, errs.Internal) {
				t.Errorf("Allow(%+v) err = %v, want kind internal", limit, err)
			}
			d, err := ratelimit.AllowOrDeny(context.Background(), l, "k", limit)
			if err == nil || d.Allowed {
				t.Errorf("AllowOrDeny(%+v) = %+v, %v; want denied with error", limit, d, err)
			}
		}
	})
}

func TestAllowOrDenyPassesDecisionThrough(t *testing.T) {
	l := ratelimit.NewMemory(ratelimit.WithClock(newClock().Now))
	limit := ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 1}
	ctx := context.Background()
	want := []ratelimit.Decision{allowed(0), denied(time.Minute)}
	for i, w := range want {
		d, err := ratelimit.AllowOrDeny(ctx, l, "mfa:s1", limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, d); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestMemoryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := ratelimit.NewMemory()
	if _, err := l.Allow(ctx, "k", ratelimit.SearchPerUser); err == nil {
		t.Error("Allow with a cancelled context succeeded")
	}
	d, err := ratelimit.AllowOrDeny(ctx, l, "k", ratelimit.SearchPerUser)
	if err == nil || d.Allowed {
		t.Errorf("AllowOrDeny with a cancelled context = %+v, %v; want denied", d, err)
	}
}
