package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store/storetest"
)

// deadStore is a process's store after the process died: its writes of
// job outcomes never happen.
type deadStore struct{ jobs.Store }

var errDied = errors.New("the process died")

func (deadStore) CompleteJob(context.Context, jobs.Claim) error { return errDied }
func (deadStore) RetryJob(context.Context, jobs.Claim, time.Duration, jobs.Failure) error {
	return errDied
}
func (deadStore) MarkJobDead(context.Context, jobs.Claim, jobs.Failure) error { return errDied }

// TestCrashRestart kills a worker after its job's side effect and before the
// job is marked done. A second process reclaims the job once the lease ends
// and runs it again; with Once the effect still happens exactly once.
// Without Once it happens twice, which shows the test can see a repeat.
func TestCrashRestart(t *testing.T) {
	for _, tc := range []struct {
		name        string
		once        bool
		wantEffects int32
	}{
		{"once", true, 1},
		{"without once", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
				var effects atomic.Int32
				handler := func(s jobs.EffectStore, effected chan struct{}) jobs.Handler {
					return func(ctx context.Context, j jobs.Job) error {
						send := func(context.Context) error { effects.Add(1); return nil }
						var err error
						if tc.once {
							err = jobs.Once(ctx, s, "test.send:"+j.ID, send)
						} else {
							err = send(ctx)
						}
						if err != nil || effected == nil {
							return err
						}
						close(effected)
						<-ctx.Done() // the process is killed here
						return ctx.Err()
					}
				}
				opts := jobs.Options{Timeout: time.Minute, Lease: 2 * time.Minute}

				// Process A claims the job, makes the effect and dies.
				dbA := open()
				qa := newQueue(t, deadStore{dbA}, opts)
				effected := make(chan struct{})
				qa.Register("test.send", handler(dbA, effected))
				j, err := qa.Enqueue(context.Background(), jobs.NewJob{Kind: "test.send", MaxAttempts: 3})
				if err != nil {
					t.Fatal(err)
				}
				ctxA, kill := context.WithCancel(context.Background())
				runA := make(chan error, 1)
				go func() { runA <- qa.Run(ctxA, 1) }()
				await(t, effected, "the effect")
				kill()
				if err := <-runA; err != nil {
					t.Fatalf("Run A: %v", err)
				}
				st := status(t, dbA, j.ID)
				if st.State != jobs.StateRunning || st.LockedBy != qa.Worker() || effects.Load() != 1 {
					t.Fatalf("after the crash: %+v, %d effects; want running under A, 1 effect", st, effects.Load())
				}

				// Process B starts with a fresh handle and queue. The job
				// is A's until the lease ends.
				dbB := open()
				qb := newQueue(t, dbB, opts)
				qb.Register("test.send", handler(dbB, nil))
				runBatch(t, qb, 0)
				clock.Advance(opts.Lease)
				runBatch(t, qb, 1)
				st = status(t, dbB, j.ID)
				if st.State != jobs.StateDone || st.Attempts != 2 {
					t.Errorf("after the reclaim: %+v, want done on attempt 2", st)
				}
				if got := effects.Load(); got != tc.wantEffects {
					t.Errorf("effects = %d, want %d", got, tc.wantEffects)
				}
			})
		})
	}
}

// countingEffects is an EffectStore that fails its reads or marks on demand.
type countingEffects struct {
	jobs.EffectStore
	failMark bool
}

func (c countingEffects) MarkJobEffect(ctx context.Context, key string) (bool, error) {
	if c.failMark {
		return false, errs.Wrap(errors.New("down"), errs.Unavailable, "test.Mark")
	}
	return c.EffectStore.MarkJobEffect(ctx, key)
}

func TestOnce(t *testing.T) {
	forEngines(t, func(t *testing.T, clock *storetest.JobClock, open storetest.Opener) {
		ctx := context.Background()
		db := open()
		runs := 0
		ok := func(context.Context) error { runs++; return nil }
		boom := errs.Wrap(errors.New("smtp"), errs.Unavailable, "notify.Send")

		// A failing fn leaves the effect unmarked and its error unchanged.
		err := jobs.Once(ctx, db, "k1", func(context.Context) error { runs++; return boom })
		if !errors.Is(err, boom) || errs.KindOf(err) != errs.Unavailable {
			t.Errorf("Once with a failing fn = %v, want it unchanged", err)
		}
		if err := jobs.Once(ctx, db, "k1", ok); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Once(ctx, db, "k1", ok); err != nil {
			t.Fatal(err)
		}
		if runs != 2 {
			t.Errorf("fn ran %d times, want 2 (failed, then done once)", runs)
		}
		// A cancelled context after the effect still records it.
		cctx, cancel := context.WithCancel(ctx)
		err = jobs.Once(cctx, db, "k2", func(context.Context) error { cancel(); return nil })
		if done, derr := db.JobEffectDone(ctx, "k2"); err != nil || derr != nil || !done {
			t.Errorf("Once cancelled after the effect = %v; done = %v, %v", err, done, derr)
		}
		// A failed mark is reported, so the job retries (and repeats fn).
		err = jobs.Once(ctx, countingEffects{EffectStore: db, failMark: true}, "k3", ok)
		if !errs.Is(err, errs.Unavailable) {
			t.Errorf("Once with a failing mark = %v, want Unavailable", err)
		}
		if err := jobs.Once(ctx, db, "", ok); !errs.Is(err, errs.Invalid) {
			t.Errorf("Once with an empty key = %v, want Invalid", err)
		}
	})
}
