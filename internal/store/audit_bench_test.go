package store_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// BenchmarkAuditAppend measures Recorder.Record with 32 concurrent writers
// over 3 practices, each call waiting for its durable commit, and reports
// throughput and latency percentiles:
//
//	go test -run '^$' -bench AuditAppend -benchtime 20000x ./internal/store/
func BenchmarkAuditAppend(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchAuditAppend(b, storetest.NewSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchAuditAppend(b, storetest.NewPostgres(b)) })
}

func benchAuditAppend(b *testing.B, db *store.DB) {
	const writers = 32
	orgs := []string{"org-bench-0", "org-bench-1", "org-bench-2"}
	r := storetest.NewAuditRecorder(b, db, storetest.NewAuditSigner(b), audit.Options{})
	ctx := context.Background()
	lat := make([][]time.Duration, writers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			ev := storetest.AuditEvent(orgs[w%len(orgs)], w)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := r.Record(ctx, ev); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Sorted(slices.Values(slices.Concat(lat...)))
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "appends/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(all)), "ns/op")
}
