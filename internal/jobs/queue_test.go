package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

var epoch = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

// forEngines runs fn on SQLite and, when available, PostgreSQL, each with a
// fresh database and a fake clock.
func forEngines(t *testing.T, fn func(t *testing.T, clock *storetest.JobClock, open storetest.Opener)) {
	engines := []struct {
		name   string
		opener func(tb testing.TB, now func() time.Time) storetest.Opener
	}{
		{"sqlite", storetest.SQLiteOpener},
		{"postgres", storetest.PostgresOpener},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			clock := storetest.NewJobClock(epoch)
			fn(t, clock, e.opener(t, clock.Now))
		})
	}
}

func nopHandler(context.Context, jobs.Job) error { return nil }

// newQueue returns a queue over db with deterministic backoff: no jitter, so
// the delays are 5s, 10s, 20s, ...
func newQueue(t *testing.T, s jobs.Store, opts jobs.Options) *jobs.Queue {
	t.Helper()
	opts.Jitter = func(time.Duration) time.Duration { return 0 }
	q, err := jobs.New(s, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return q
}

// await waits for ch to close. The limit is a failsafe against a hung test,
// not a timing assertion.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Minute):
		t.Fatalf("gave up waiting for %s", what)
	}
}

// startRun runs q.Run in the background and returns a function that shuts
// the queue down and checks that Run returned nil.
func startRun(t *testing.T, q *jobs.Queue, workers int) (shutdown func()) {
	t.Helper()
	runErr := make(chan error, 1)
	go func() { runErr <- q.Run(context.Background(), workers) }()
	return func() {
		t.Helper()
		if err := q.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func status(t *testing.T, db *store.DB, id string) jobs.Status {
	t.Helper()
	st, err := db.JobStatus(context.Background(), id)
	if err != nil {
		t.Fatalf("JobStatus: %v", err)
	}
	return st
}

func runBatch(t *testing.T, q *jobs.Queue, want int) {
	t.Helper()
	n, err := q.RunBatch(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunBatch = %d, %v; want %d jobs run", n, err, want)
	}
}

func TestRunCompletes(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		// A long poll interval: the job runs because Enqueue wakes Run.
		q := newQueue(t, db, jobs.Options{PollInterval: time.Hour})
		got := make(chan jobs.Job, 1)
		q.Register("test.echo", func(ctx context.Context, j jobs.Job) error {
			got <- j
			return nil
		})
		shutdown := startRun(t, q, 2)
		j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: "test.echo", Payload: []byte(`{"id":"x"}`)})
		if err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		var ran jobs.Job
		select {
		case ran = <-got:
		case <-time.After(2 * time.Minute):
			t.Fatal("gave up waiting for the job")
		}
		shutdown()
		if ran.ID != j.ID || string(ran.Payload) != `{"id":"x"}` || ran.Attempts != 1 {
			t.Errorf("handler got %+v, want attempt 1 of %+v", ran, j)
		}
		if st := status(t, db, j.ID); st.State != jobs.StateDone {
			t.Errorf("state = %s, want done", st.State)
		}
		stats, err := q.Stats(context.Background())
		if err != nil || stats["done"] != 1 || stats["queued"] != 0 || len(stats) != 4 {
			t.Errorf("Stats = %v, %v", stats, err)
		}
	})
}

func TestRetryWithBackoff(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		q := newQueue(t, db, jobs.Options{})
		calls := 0
		q.Register("test.flaky", func(ctx context.Context, j jobs.Job) error {
			calls++
			if j.Attempts < 3 {
				// The message holds what must never be stored.
				return errs.Wrap(errors.New("mailbox jane@example.org full"), errs.Unavailable, "notify.Send")
			}
			return nil
		})
		j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: "test.flaky", MaxAttempts: 5})
		if err != nil {
			t.Fatal(err)
		}
		for i, delay := range []time.Duration{5 * time.Second, 10 * time.Second} {
			runBatch(t, q, 1)
			st := status(t, db, j.ID)
			want := jobs.Failure{Kind: "unavailable", Op: "notify.Send"}
			if st.State != jobs.StateQueued || st.Attempts != i+1 || !st.RunAt.Equal(clock.Now().Add(delay)) || st.LastError != want {
				t.Fatalf("after attempt %d: %+v, want queued, due in %v, failure %+v", i+1, st, delay, want)
			}
			clock.Advance(delay - time.Microsecond)
			runBatch(t, q, 0) // not yet due
			clock.Advance(time.Microsecond)
		}
		runBatch(t, q, 1)
		if st := status(t, db, j.ID); st.State != jobs.StateDone || st.Attempts != 3 || calls != 3 {
			t.Errorf("after attempt 3: %+v, %d calls; want done after 3", st, calls)
		}
	})
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name        string
		handler     jobs.Handler
		maxAttempts int
		wantRuns    int
		want        jobs.Failure
	}{
		{"permanent", func(context.Context, jobs.Job) error {
			return errs.Wrap(errs.InvalidFields(errs.FieldError{Field: "to", Message: "field.required"}), errs.Invalid, "notify.Render")
		}, 5, 1, jobs.Failure{Kind: "invalid", Op: "notify.Render"}},
		{"dead after max attempts", func(context.Context, jobs.Job) error {
			return errors.New("plain error")
		}, 3, 3, jobs.Failure{Kind: "internal"}},
		{"panic", func(context.Context, jobs.Job) error {
			panic("secret value")
		}, 2, 2, jobs.Failure{Kind: jobs.FailurePanic}},
		{"timeout", func(ctx context.Context, _ jobs.Job) error {
			<-ctx.Done()
			return errs.Wrap(ctx.Err(), errs.Internal, "test.Wait")
		}, 1, 1, jobs.Failure{Kind: jobs.FailureTimeout, Op: "test.Wait"}},
	}
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				kind := fmt.Sprintf("test.fail-%d", i)
				opts := jobs.Options{}
				if tt.want.Kind == jobs.FailureTimeout {
					opts.Timeout = 50 * time.Millisecond
				}
				q := newQueue(t, db, opts)
				runs := 0
				q.Register(kind, func(ctx context.Context, j jobs.Job) error {
					runs++
					return tt.handler(ctx, j)
				})
				j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: kind, MaxAttempts: tt.maxAttempts})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 * tt.maxAttempts {
					if _, err := q.RunBatch(context.Background()); err != nil {
						t.Fatal(err)
					}
					clock.Advance(2 * time.Hour) // past any backoff
				}
				st := status(t, db, j.ID)
				if st.State != jobs.StateDead || st.LastError != tt.want || runs != tt.wantRuns || st.Attempts != tt.wantRuns {
					t.Errorf("job = %+v after %d runs; want dead with %+v after %d", st, runs, tt.want, tt.wantRuns)
				}
			})
		}
	})
}

// TestManyWorkers runs 200 jobs on 50 workers: each runs exactly once.
func TestManyWorkers(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		db := open()
		const nJobs, workers = 200, 50
		q := newQueue(t, db, jobs.Options{PollInterval: 10 * time.Millisecond})
		var (
			mu   sync.Mutex
			runs = map[string]int{}
			all  = make(chan struct{})
		)
		q.Register("test.count", func(ctx context.Context, j jobs.Job) error {
			mu.Lock()
			defer mu.Unlock()
			runs[j.ID]++
			if len(runs) == nJobs && runs[j.ID] == 1 {
				close(all)
			}
			return nil
		})
		ids := map[string]bool{}
		for i := range nJobs {
			j, err := q.Enqueue(context.Background(), jobs.NewJob{Kind: "test.count", Payload: fmt.Appendf(nil, "%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids[j.ID] = true
		}
		shutdown := startRun(t, q, workers)
		await(t, all, "every job")
		shutdown()
		mu.Lock()
		defer mu.Unlock()
		for id := range ids {
			if runs[id] != 1 {
				t.Errorf("job %s ran %d times, want once", id, runs[id])
			}
		}
		stats, err := q.Stats(context.Background())
		if err != nil || stats["done"] != nJobs {
			t.Errorf("Stats = %v, %v; want %d done", stats, err, nJobs)
		}
	})
}
