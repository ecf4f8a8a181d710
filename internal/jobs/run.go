package jobs

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

var (
	errLeaseTooShort = errors.New("jobs: Lease must exceed Timeout")
	errBadWorkers    = errors.New("jobs: Run needs at least one worker")
	errRunTwice      = errors.New("jobs: Run called twice")
	errTimeout       = errors.New("jobs: handler timed out")
	errPanic         = errors.New("jobs: handler panicked")
	errNoHandler     = errors.New("jobs: no handler for kind")
)

// Run claims due jobs and runs their handlers, up to workers at once, until
// Shutdown is called or ctx is done; it returns once every job it started
// has settled. It looks for jobs every PollInterval, at once after an
// Enqueue in this process, and again whenever it filled a batch and has
// workers free.
//
// Shutdown is the graceful stop: it lets running handlers finish. Cancelling
// ctx is the hard one: running handlers are cancelled and their jobs retried.
// Run returns nil when stopped either way; fewer than one worker, or a second
// Run on one Queue, is errs.Invalid.
func (q *Queue) Run(ctx context.Context, workers int) error {
	if workers < 1 {
		return errs.Wrap(errBadWorkers, errs.Invalid, "jobs.Run")
	}
	q.mu.Lock()
	if q.running {
		q.mu.Unlock()
		return errs.Wrap(errRunTwice, errs.Invalid, "jobs.Run")
	}
	q.running = true
	q.mu.Unlock()
	kinds := q.kinds()

	defer q.inflight.Wait()
	sem := make(chan struct{}, workers) // one token per running handler
	timer := time.NewTimer(q.opts.PollInterval)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if free := workers - len(sem); free > 0 {
			limit := free
			if q.opts.BatchSize > 0 {
				limit = min(limit, q.opts.BatchSize)
			}
			jobs, ok, err := q.claim(ctx, kinds, limit)
			if !ok {
				return nil
			}
			if err != nil && ctx.Err() == nil {
				q.log.WarnContext(ctx, "jobs: claim failed", "error_kind", errs.KindOf(err).String(), "op", opOf(err))
			}
			for _, j := range jobs {
				sem <- struct{}{} // never blocks: at most free jobs were claimed
				go func() {
					defer q.inflight.Done()
					q.runJob(ctx, j)
					<-sem
					q.signal()
				}()
			}
			if len(jobs) == limit && len(sem) < workers {
				continue // more may be due, and a worker is free
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.stop:
			return nil
		case <-q.wake:
		case <-timer.C:
		}
		timer.Reset(q.opts.PollInterval)
	}
}

// RunBatch claims one batch of due jobs (up to BatchSize, 10 by default),
// runs their handlers concurrently and returns, once each has settled, how
// many it ran. It suits tools and tests that want to drive the queue step by
// step. After Shutdown it runs nothing. A failed claim is returned; handler
// failures are recorded on their jobs, not returned.
func (q *Queue) RunBatch(ctx context.Context) (int, error) {
	limit := q.opts.BatchSize
	if limit <= 0 {
		limit = 10
	}
	jobs, _, err := q.claim(ctx, q.kinds(), limit)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			defer q.inflight.Done()
			q.runJob(ctx, j)
		})
	}
	wg.Wait()
	return len(jobs), nil
}

// Shutdown stops the queue claiming jobs and waits until every job it is
// running has settled. If ctx ends first, Shutdown cancels the running
// handlers, waits for them to return and settle (as retries), and returns
// errs.Unavailable. It may be called more than once, and before Run.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.stopOnce.Do(func() { close(q.stop) })

	done := make(chan struct{})
	go func() {
		q.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	q.hardStop()
	<-done
	return errs.Wrap(ctx.Err(), errs.Unavailable, "jobs.Shutdown")
}

// claim claims up to limit jobs and counts each in q.inflight before
// returning; the caller calls q.inflight.Done once per job when it settles.
// ok is false, and nothing is claimed, once Shutdown was called.
func (q *Queue) claim(ctx context.Context, kinds []string, limit int) (_ []Job, ok bool, _ error) {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return nil, false, nil
	}
	// The claim itself counts, so the counter is never raised from zero
	// after Shutdown began waiting.
	q.inflight.Add(1)
	q.mu.Unlock()
	defer q.inflight.Done()
	if len(kinds) == 0 {
		return nil, true, nil
	}
	jobs, err := q.s.ClaimJobs(ctx, q.opts.Worker, kinds, limit, q.opts.Lease)
	if err != nil {
		return nil, true, err
	}
	q.inflight.Add(len(jobs))
	return jobs, true, nil
}

// runJob runs j's handler under the job timeout and records the outcome.
func (q *Queue) runJob(ctx context.Context, j Job) {
	jctx, cancel := context.WithTimeoutCause(ctx, q.opts.Timeout, errTimeout)
	defer cancel()
	unhook := context.AfterFunc(q.hard, cancel) // Shutdown ran out of time
	defer unhook()

	err := q.call(jctx, j)
	var f Failure
	switch {
	case err == nil:
	case errors.Is(err, errPanic):
		f = Failure{Kind: FailurePanic}
	case jctx.Err() != nil && (errs.KindOf(err) == errs.Internal ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The context ended and the error says nothing more specific: it
		// is most likely the handler giving up because of it.
		f = Failure{Kind: FailureCanceled, Op: opOf(err)}
		if errors.Is(context.Cause(jctx), errTimeout) {
			f.Kind = FailureTimeout
		}
	default:
		f = Failure{Kind: errs.KindOf(err).String(), Op: opOf(err)}
	}
	// The outcome is recorded even while stopping: the handler has returned.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer scancel()
	q.settle(sctx, j, err, f)
}

// call runs the handler, turning a panic into errPanic. The panic value is
// not logged: it could hold anything, PHI included.
func (q *Queue) call(ctx context.Context, j Job) (err error) {
	h := q.handler(j.Kind)
	if h == nil {
		return errs.Wrap(errNoHandler, errs.Internal, "jobs.call")
	}
	defer func() {
		if r := recover(); r != nil {
			q.log.ErrorContext(ctx, "jobs: handler panicked", "job_id", j.ID, "kind", j.Kind,
				"attempt", j.Attempts, "stack", string(debug.Stack()))
			err = errPanic
		}
	}()
	return h(ctx, j)
}

// settle records the outcome of one run: done, retry with backoff, or dead.
func (q *Queue) settle(ctx context.Context, j Job, runErr error, f Failure) {
	c := j.ClaimBy(q.opts.Worker)
	var err error
	outcome := "done"
	switch {
	case runErr == nil:
		err = q.s.CompleteJob(ctx, c)
	case errs.Is(runErr, errs.Invalid) || j.Attempts >= j.MaxAttempts:
		outcome = "dead"
		err = q.s.MarkJobDead(ctx, c, f)
	default:
		outcome = "retry"
		delay := Backoff(j.Attempts, q.opts.BackoffBase, q.opts.BackoffMax, q.opts.Jitter)
		if f.Kind == FailureCanceled {
			delay = 0 // not the job's fault: run it again as soon as possible
		}
		err = q.s.RetryJob(ctx, c, delay, f)
	}
	attrs := []any{"job_id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "outcome", outcome}
	if runErr != nil {
		attrs = append(attrs, "error_kind", f.Kind, "op", f.Op)
	}
	switch {
	case err != nil && errors.Is(err, ErrLeaseLost):
		q.log.WarnContext(ctx, "jobs: lease lost before the outcome was recorded", attrs...)
	case err != nil:
		// The job stays running until its lease ends, then runs again.
		q.log.ErrorContext(ctx, "jobs: recording the outcome failed",
			append(attrs, "settle_error_kind", errs.KindOf(err).String())...)
	case outcome == "dead":
		q.log.ErrorContext(ctx, "jobs: job is dead", attrs...)
	case outcome == "retry":
		q.log.WarnContext(ctx, "jobs: job failed, will retry", attrs...)
	}
}

// opOf returns the operation of the first *errs.Error in err's chain, "" if
// none. Operation names are code, never data, so they are safe to store.
func opOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		if len(e.Op) > MaxKey {
			return e.Op[:MaxKey]
		}
		return e.Op
	}
	return ""
}
