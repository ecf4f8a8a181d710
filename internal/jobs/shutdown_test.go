package jobs_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store/storetest"
)

// TestShutdownDrains stops a queue with every worker busy: the running jobs
// finish and are recorded done before Shutdown returns, and the job still
// waiting is not started.
func TestShutdownDrains(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		const workers = 3
		q := newQueue(t, db, jobs.Options{})
		var (
			started sync.WaitGroup
			gate    = make(chan struct{})
		)
		started.Add(workers)
		q.Register("test.block", func(ctx context.Context, j jobs.Job) error {
			started.Done()
			<-gate
			return nil
		})
		var ids []string
		for range workers + 1 {
			j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: "test.block"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- q.Run(context.Background(), workers) }()
		started.Wait() // every worker is busy; one job waits

		shutErr := make(chan error, 1)
		go func() { shutErr <- q.Shutdown(context.Background()) }()
		for !jobs.Stopping(q) {
			runtime.Gosched()
		}
		close(gate)
		if err := <-shutErr; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := <-runErr; err != nil {
			t.Fatalf("Run: %v", err)
		}
		done, waiting := 0, 0
		for _, id := range ids {
			switch st := status(t, db, id); {
			case st.State == jobs.StateDone:
				done++
			case st.State == jobs.StateQueued && st.Attempts == 0:
				waiting++
			default:
				t.Errorf("job after Shutdown: %+v", st)
			}
		}
		if done != workers || waiting != 1 {
			t.Errorf("%d done, %d waiting; want %d done and 1 waiting", done, waiting, workers)
		}
		// A stopped queue claims nothing more.
		if n, err := q.RunBatch(context.Background()); n != 0 || err != nil {
			t.Errorf("RunBatch after Shutdown = %d, %v", n, err)
		}
		if err := q.Shutdown(context.Background()); err != nil {
			t.Errorf("second Shutdown: %v", err)
		}
	})
}

// TestShutdownDeadline stops a queue whose handler will not finish: when
// Shutdown's context ends, the handler is cancelled and its job queued again
// at once.
func TestShutdownDeadline(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		q := newQueue(t, db, jobs.Options{})
		started := make(chan struct{})
		q.Register("test.stuck", func(ctx context.Context, j jobs.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: "test.stuck"})
		if err != nil {
			t.Fatal(err)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- q.Run(context.Background(), 1) }()
		await(t, started, "the handler")

		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no time to drain
		if err := q.Shutdown(ctx); !errs.Is(err, errs.Unavailable) {
			t.Errorf("Shutdown = %v, want Unavailable", err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
		st := status(t, db, j.ID)
		if st.State != jobs.StateQueued || st.LastError.Kind != jobs.FailureCanceled || !st.RunAt.Equal(clock.Now()) {
			t.Errorf("job after a hard stop = %+v, want queued now with failure canceled", st)
		}
	})
}

// TestRunRejects checks Run's misuse errors.
func TestRunRejects(t *testing.T) {
	q := newQueue(t, nil, jobs.Options{})
	if err := q.Run(context.Background(), 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("Run with 0 workers = %v, want Invalid", err)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Run: %v", err)
	}
	if err := q.Run(context.Background(), 1); err != nil {
		t.Errorf("Run after Shutdown = %v, want nil at once", err)
	}
	if err := q.Run(context.Background(), 1); !errs.Is(err, errs.Invalid) {
		t.Errorf("second Run = %v, want Invalid", err)
	}
}
