package identity_test

import (
	"context"
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/password"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/store/storetest"
)

// BenchmarkParallelLogins200 signs in 200 people at once with production
// argon2id parameters (19 MiB each, at most password.DefaultMaxConcurrent at
// a time) and reports the process's peak memory, sampled every millisecond
// from the Go runtime's total mapped memory, and the time the whole wave
// takes. Target (issue: identity and access): under 1 GiB.
func BenchmarkParallelLogins200(b *testing.B) {
	ctx := context.Background()
	db := storetest.NewSQLite(b)
	f := newFixture(b, db, storetest.NewKeyStoreSQLite(b))
	acc := newAccounts(b, f, password.DefaultParams)
	const people = 200
	emails := make([]string, people)
	hasher, err := password.NewHasher(password.DefaultParams, password.DefaultMaxConcurrent)
	if err != nil {
		b.Fatal(err)
	}
	phc, err := hasher.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for i := range people {
		u := storetest.MustUser(b, db, f.org, identity.RolePatient)
		emails[i] = fmt.Sprintf("person%d@example.org", i)
		if _, err := f.svc.SetProfile(ctx, f.admin, u.ID, 0, identity.ProfileInput{Email: &emails[i]}); err != nil {
			b.Fatal(err)
		}
		if err := db.SetPasswordHash(ctx, f.org, u.ID, phc); err != nil {
			b.Fatal(err)
		}
	}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	var peak atomic.Uint64
	b.ResetTimer()
	for b.Loop() {
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		var wg sync.WaitGroup
		var failed atomic.Int32
		throttle := ratelimit.NewMemoryBackoff()
		for i := range people {
			wg.Go(func() {
				if _, err := acc.Authenticate(ctx, throttle, f.org, emails[i], "correct horse battery staple"); err != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		close(stop)
		if failed.Load() > 0 {
			b.Fatalf("%d of %d logins failed", failed.Load(), people)
		}
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
}
