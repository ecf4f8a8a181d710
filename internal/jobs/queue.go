package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Handler runs one job. It must be idempotent (the job may run again after a
// crash or a lost lease; see Once), must return when ctx is done, and must
// not put PHI in its error's message or operation. An error of kind
// errs.Invalid is permanent: the job is dead at once. Any other error retries
// the job with backoff until MaxAttempts.
type Handler func(ctx context.Context, job Job) error

// Options tune a Queue. The zero value is usable.
type Options struct {
	// Timeout bounds one run of a handler; 0 means 1 minute.
	Timeout time.Duration
	// Lease is how long a claim holds its job; after it, another worker may
	// reclaim the job. It must exceed Timeout, so a handler is cancelled
	// before anyone else can start the job; 0 means Timeout + 1 minute.
	Lease time.Duration
	// PollInterval is how often Run looks for due jobs when nothing woke it;
	// 0 means 1 second.
	PollInterval time.Duration
	// BatchSize caps the jobs one claim takes; 0 means as many as there are
	// free workers in Run, and 10 in RunBatch.
	BatchSize int
	// BackoffBase and BackoffMax shape the retry delay (see Backoff);
	// 0 means 10 seconds and 1 hour.
	BackoffBase, BackoffMax time.Duration
	// Jitter returns a random duration in [0, d), for Backoff; nil means
	// math/rand/v2. Tests pass a deterministic one.
	Jitter func(d time.Duration) time.Duration
	// Worker names this queue in locked_by; "" means a random name. Give
	// each process its own.
	Worker string
	// Logger receives failures (job id, kind, attempt, error kind and
	// operation; never payloads or messages); nil discards.
	Logger *slog.Logger
}

// settleTimeout bounds the database write that records a job's outcome, which
// runs even while the queue is stopping.
const settleTimeout = 15 * time.Second

// Queue runs registered handlers for jobs in a Store. Register every handler,
// then call Run (or RunBatch); Enqueue may be called at any time. A Queue is
// safe for concurrent use.
type Queue struct {
	s    Store
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	handlers map[string]Handler
	running  bool // Run was called
	stopped  bool // Shutdown was called: claim nothing more

	// hard is cancelled when Shutdown runs out of time, cancelling every
	// running handler.
	hard     context.Context
	hardStop context.CancelFunc

	// inflight counts claims in progress and jobs being run. It is only
	// raised from zero under mu while !stopped, so Shutdown's Wait is safe.
	inflight sync.WaitGroup
	stopOnce sync.Once
	stop     chan struct{} // closed by Shutdown
	wake     chan struct{} // buffered 1: an enqueue or a free worker
}

// New returns a queue over s. Options with a Lease not longer than Timeout
// are errs.Invalid.
func New(s Store, opts Options) (*Queue, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.Lease == 0 {
		opts.Lease = opts.Timeout + time.Minute
	}
	if opts.Lease <= opts.Timeout {
		return nil, errs.Wrap(errLeaseTooShort, errs.Invalid, "jobs.New")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 10 * time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = time.Hour
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration { return rand.N(d) }
	}
	if opts.Worker == "" {
		b := make([]byte, 6)
		_, _ = crand.Read(b) // never fails
		opts.Worker = "worker-" + hex.EncodeToString(b)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hard, hardStop := context.WithCancel(context.Background())
	return &Queue{
		s: s, opts: opts, log: log,
		hard: hard, hardStop: hardStop,
		handlers: map[string]Handler{},
		stop:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}, nil
}

// Worker returns the name this queue claims jobs under.
func (q *Queue) Worker() string { return q.opts.Worker }

// Register sets the handler for kind. It panics if kind is not a valid kind
// (see NewJob), already has a handler, or Run has started: these are wiring
// mistakes, made at start-up.
func (q *Queue) Register(kind string, h Handler) {
	if !validKind(kind) || kind == "" || len(kind) > MaxKind || h == nil {
		panic("jobs: Register: invalid kind or nil handler")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running {
		panic("jobs: Register after Run")
	}
	if _, dup := q.handlers[kind]; dup {
		panic("jobs: Register: kind " + kind + " registered twice")
	}
	q.handlers[kind] = h
}

// kinds returns the registered kinds, sorted.
func (q *Queue) kinds() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Sorted(maps.Keys(q.handlers))
}

func (q *Queue) handler(kind string) Handler {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.handlers[kind]
}

// Enqueue stores a new job and wakes this process's Run; see NewJob for the
// fields and for idempotency with UniqueKey. Invalid input is errs.Invalid; a
// UniqueKey held by a job of another kind or practice is errs.Conflict.
// Inside a domain transaction, use the store transaction's EnqueueJob
// instead: the job then exists exactly if the transaction commits, and Run
// finds it at its next poll.
func (q *Queue) Enqueue(ctx context.Context, nj NewJob) (Job, error) {
	j, err := q.s.EnqueueJob(ctx, nj)
	if err != nil {
		return Job{}, err
	}
	q.signal()
	return j, nil
}

// Stats counts jobs by state name ("queued", "running", "done", "dead"), every
// state present, for metrics.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	byState, err := q.s.JobStats(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(byState))
	for _, st := range States() {
		out[string(st)] = byState[st]
	}
	return out, nil
}

// signal wakes Run without blocking; one pending wake-up is enough.
func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
