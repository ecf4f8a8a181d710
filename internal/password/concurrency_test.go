package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/astralcore/astral/internal/errs"
)

// TestConcurrencyCap starts 50 hashes and verifications at once on a Hasher
// capped at 4 and records the peak number of computations in flight. The
// first four block inside the hook until all 50 have asked for a slot, so
// the cap is put under full pressure without any sleeping.
func TestConcurrencyCap(t *testing.T) {
	const n, limit = 50, 4
	h := mustHasher(t, testParams, limit)
	stored := mustHash(t, h, "pw-0")

	var cur, peak, entered atomic.Int32
	arrived := make(chan struct{}, n)
	full := make(chan struct{}, n)
	release := make(chan struct{})
	h.hook = func(ev int) {
		switch ev {
		case hookWait:
			arrived <- struct{}{}
		case hookEnter:
			c := cur.Add(1)
			for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
			}
			entered.Add(1)
			full <- struct{}{}
			<-release
		case hookLeave:
			cur.Add(-1)
		}
	}

	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = h.Hash(context.Background(), "pw")
			} else {
				var ok bool
				if ok, _, err = h.Verify(context.Background(), "pw-0", stored); err == nil && !ok {
					err = errors.New("Verify(right password) = false")
				}
			}
			errc <- err
		})
	}
	for range n {
		<-arrived
	}
	for range limit {
		<-full
	}
	if got := cur.Load(); got != limit {
		t.Errorf("with every caller waiting, %d computations are in flight; want %d", got, limit)
	}
	close(release)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("hash under load: %v", err)
		}
	}
	if got := peak.Load(); got != limit {
		t.Errorf("peak in-flight computations = %d, want %d", got, limit)
	}
	if got := entered.Load(); got != n {
		t.Errorf("%d computations ran, want %d", got, n)
	}
}

// TestWaitHonoursContext holds the only slot and checks that callers waiting
// for it give up when their context ends, without computing.
func TestWaitHonoursContext(t *testing.T) {
	h := mustHasher(t, testParams, 1)
	stored := mustHash(t, h, "pw")

	var entered atomic.Int32
	waiting := make(chan struct{}, 8)
	holding := make(chan struct{})
	release := make(chan struct{})
	h.hook = func(ev int) {
		switch ev {
		case hookWait:
			waiting <- struct{}{}
		case hookEnter:
			if entered.Add(1) == 1 {
				close(holding)
				<-release
			}
		}
	}
	first := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "first")
		first <- err
	}()
	<-waiting
	<-holding

	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, _, err := h.Verify(ctx, "pw", stored)
			done <- err
		}()
		<-waiting
		cancel()
		if err := <-done; !errs.Is(err, errs.Unavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("Verify after cancel = %v; want Unavailable wrapping context.Canceled", err)
		}
	})
	t.Run("deadline passed", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		if _, err := h.Hash(ctx, "pw"); !errs.Is(err, errs.Unavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Hash with expired deadline = %v; want Unavailable wrapping DeadlineExceeded", err)
		}
		<-waiting
	})
	t.Run("dummy cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h.Dummy(ctx, "pw"); !errs.Is(err, errs.Unavailable) {
			t.Errorf("Dummy with cancelled ctx = %v; want Unavailable", err)
		}
		<-waiting
	})
	close(release)
	if err := <-first; err != nil {
		t.Errorf("the slot holder failed: %v", err)
	}
	if got := entered.Load(); got != 1 {
		t.Errorf("%d computations ran, want only the slot holder's", got)
	}
}

// TestCancelledContextNeverComputes checks that a request that is already
// gone does not start argon2id even when a slot is free.
func TestCancelledContextNeverComputes(t *testing.T) {
	h := mustHasher(t, testParams, 4)
	var entered atomic.Int32
	h.hook = func(ev int) {
		if ev == hookEnter {
			entered.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		if _, err := h.Hash(ctx, "pw"); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("Hash(cancelled) = %v; want Unavailable", err)
		}
	}
	if got := entered.Load(); got != 0 {
		t.Errorf("%d computations started for cancelled requests", got)
	}
}

func TestDummy(t *testing.T) {
	h := mustHasher(t, testParams, 0)
	var entered atomic.Int32
	h.hook = func(ev int) {
		if ev == hookEnter {
			entered.Add(1)
		}
	}
	for _, pw := range []string{"", "pw", "correct horse battery staple"} {
		if err := h.Dummy(context.Background(), pw); err != nil {
			t.Errorf("Dummy: %v", err)
		}
	}
	if got := entered.Load(); got != 3 {
		t.Errorf("Dummy ran %d argon2id computations for 3 calls, want 3", got)
	}
	// The dummy hash must cost what a current hash costs: same parameters,
	// same salt and key sizes.
	d, err := parsePHC(h.dummy)
	if err != nil {
		t.Fatalf("dummy hash does not parse: %v", err)
	}
	if d.params != h.Params() || len(d.salt) != SaltLen || len(d.key) != KeyLen {
		t.Errorf("dummy hash has %v, %d-byte salt, %d-byte key; want %v, %d, %d",
			d.params, len(d.salt), len(d.key), h.Params(), SaltLen, KeyLen)
	}
}
