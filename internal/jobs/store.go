package jobs

import (
	"context"
	"errors"
	"time"
)

// State is where a job is in its life.
type State string

// The states. A job is queued until a worker claims it; running while a
// worker holds its lease; then done, queued again for a retry, or dead.
// Done and dead are final.
const (
	StateQueued  State = "queued"
	StateRunning State = "running"
	StateDone    State = "done"
	StateDead    State = "dead"
)

// States lists every state, in life order.
func States() []State { return []State{StateQueued, StateRunning, StateDone, StateDead} }

// Claim names one claim of a job: the worker holding it and the attempt it
// runs. A store settles a job only for the claim that holds it, so a worker
// whose lease ended and passed to another cannot overwrite the other's
// outcome.
type Claim struct {
	JobID   string
	Worker  string
	Attempt int
}

// ClaimBy returns the claim of j by worker, j being a job that worker
// claimed.
func (j Job) ClaimBy(worker string) Claim {
	return Claim{JobID: j.ID, Worker: worker, Attempt: j.Attempts}
}

// Failure is what a job records about its last error: the errs.Kind name
// (or one of the Failure kinds below) and the operation that failed, such as
// "notify.SendEmail". Never the error's message, which could hold PHI.
type Failure struct {
	Kind string
	Op   string
}

// Failure kinds that are not errs.Kind names.
const (
	// FailureTimeout: the handler ran past Options.Timeout.
	FailureTimeout = "timeout"
	// FailurePanic: the handler panicked.
	FailurePanic = "panic"
	// FailureCanceled: the queue stopped while the handler ran.
	FailureCanceled = "canceled"
	// FailureLeaseExpired: the job's last allowed attempt never settled
	// (its worker died), so the job is dead without another run.
	FailureLeaseExpired = "lease_expired"
)

// Status is a job with its bookkeeping, for tests, tools and admin views.
type Status struct {
	Job
	State State
	// LockedBy and LockedUntil name the claim's worker and the end of its
	// lease while the job is running; empty and nil otherwise.
	LockedBy    string
	LockedUntil *time.Time
	// LastError is the most recent failure, zero if none.
	LastError Failure
	CreatedAt time.Time
	UpdatedAt time.Time
	// DoneAt is when the job became done or dead.
	DoneAt *time.Time
}

// ErrLeaseLost is the cause, under errs.Conflict, when a worker settles a
// job it no longer holds: its lease ended and another worker claimed the job,
// or the job was settled already.
var ErrLeaseLost = errors.New("jobs: lease lost")

// Store is the storage the queue needs; internal/store implements it for
// SQLite and PostgreSQL. The store's clock is the queue's clock: "now" in
// every method is the store's transaction time.
//
// Error contract: bad input is errs.Invalid with field problems; settling a
// claim that no longer holds its job is errs.Conflict wrapping ErrLeaseLost;
// a unique key held by a job of another kind or practice is errs.Conflict;
// anything else is errs.Internal or errs.Unavailable.
type Store interface {
	// EnqueueJob stores a new queued job, or returns the existing job with
	// the same non-empty UniqueKey; see NewJob.
	EnqueueJob(ctx context.Context, nj NewJob) (Job, error)
	// ClaimJobs claims up to limit due jobs of the given kinds for worker,
	// oldest run_at first: queued jobs whose run_at has come, and running
	// jobs whose lease has ended with attempts left. Each claim adds one to
	// Attempts and leases the job until now+lease. It also makes dead the
	// running jobs whose lease ended on their last attempt. No due job gives
	// an empty slice.
	ClaimJobs(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]Job, error)
	// CompleteJob makes the claimed job done.
	CompleteJob(ctx context.Context, c Claim) error
	// RetryJob queues the claimed job again, due after delay, recording f.
	RetryJob(ctx context.Context, c Claim, delay time.Duration, f Failure) error
	// MarkJobDead makes the claimed job dead, recording f.
	MarkJobDead(ctx context.Context, c Claim, f Failure) error
	// JobStats counts jobs by state, with every state present.
	JobStats(ctx context.Context) (map[State]int, error)

	EffectStore
}

// EffectStore records side effects that are done, for Once. An invalid key
// (see ValidateEffectKey) is errs.Invalid.
type EffectStore interface {
	// JobEffectDone reports whether key's effect was marked done.
	JobEffectDone(ctx context.Context, key string) (bool, error)
	// MarkJobEffect marks key's effect done. It reports false, changing
	// nothing, if it was marked already.
	MarkJobEffect(ctx context.Context, key string) (first bool, err error)
}
