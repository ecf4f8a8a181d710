package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// BenchmarkEnqueueRun measures the queue end to end: 8 goroutines enqueue
// b.N jobs while Run works them off with 16 workers; it reports jobs per
// second from the first enqueue to the last completion:
//
//	go test -run '^$' -bench EnqueueRun -benchtime 5000x ./internal/jobs/
func BenchmarkEnqueueRun(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchEnqueueRun(b, storetest.SQLiteOpener(b, nil)()) })
	b.Run("postgres", func(b *testing.B) { benchEnqueueRun(b, storetest.PostgresOpener(b, nil)()) })
}

func benchEnqueueRun(b *testing.B, db *store.DB) {
	const enqueuers, workers = 8, 16
	ctx := context.Background()
	q, err := jobs.New(db, jobs.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	var ran atomic.Int64
	all := make(chan struct{})
	q.Register("bench.nop", func(context.Context, jobs.Job) error {
		if ran.Add(1) == int64(b.N) {
			close(all)
		}
		return nil
	})
	runErr := make(chan error, 1)
	go func() { runErr <- q.Run(ctx, workers) }()

	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range enqueuers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, err := q.Enqueue(ctx, jobs.NewJob{Kind: "bench.nop", Payload: []byte(`{"id":"x"}`)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	<-all
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	if err := q.Shutdown(ctx); err != nil {
		b.Error(err)
	}
	if err := <-runErr; err != nil {
		b.Error(err)
	}
}
