package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// msgUnavailable is the safe message of every error Record returns for an
// entry it could not commit.
const msgUnavailable = "error.audit_unavailable"

// errClosed is the cause when Record is called after Close.
var errClosed = errors.New("audit: recorder is closed")

// Recorder appends entries to the audit log with group commit: one goroutine
// takes every entry waiting in the queue (up to MaxBatch), chains them per
// practice and commits them in one transaction, then wakes their callers.
// Concurrent callers so share one disk sync. It is safe for concurrent use.
type Recorder struct {
	store  Store
	signer *Signer
	opts   Options
	now    func() time.Time
	verify *Verifier

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan *pending

	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed when loop returns

	// Owned by loop: practices with entries this process appended after
	// their last checkpoint, and the last checkpoint error.
	dirty   map[string]bool
	lastErr error
}

// pending is one entry waiting for its transaction.
type pending struct {
	entry Entry
	done  chan error // buffered: loop never blocks on it
}

// NewRecorder starts a recorder over s that signs checkpoints with signer.
// Call Close to stop it. Invalid options are an error.
func NewRecorder(s Store, signer *Signer, opts Options) (*Recorder, error) {
	if s == nil || signer == nil {
		return nil, errors.New("audit: NewRecorder needs a store and a signer")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Recorder{
		store:  s,
		signer: signer,
		opts:   opts,
		now:    func() time.Time { return opts.Now().UTC().Truncate(time.Microsecond) },
		verify: NewVerifier(s, append([]ed25519.PublicKey{signer.PublicKey()}, opts.TrustedKeys...)...),
		queue:  make(chan *pending, opts.QueueSize),
		done:   make(chan struct{}),
		dirty:  map[string]bool{},
	}
	go r.loop()
	return r, nil
}

// Record appends ev to its practice's chain and returns nil only once the
// entry is durably committed. Any error means the entry may not have been
// written and the caller must not go on with the audited action:
//
//   - an invalid event is errs.Invalid, with field problems;
//   - a closed recorder, a failed transaction, or ctx ending first is
//     errs.Unavailable with message "error.audit_unavailable".
//
// When the queue is full, Record waits for room (or for ctx); it never drops
// an entry.
func (r *Recorder) Record(ctx context.Context, ev Event) (err error) {
	if err := ev.Validate(); err != nil {
		return err
	}
	p := &pending{entry: entryOf(ev, r.now()), done: make(chan error, 1)}
	if err := r.enqueue(ctx, p); err != nil {
		return unavailable(err)
	}
	select {
	case err := <-p.done:
		return unavailable(err)
	case <-ctx.Done():
		// The entry may still be committed: an audit entry for an action
		// that then did not happen is harmless; the reverse is not.
		return unavailable(ctx.Err())
	}
}

func (r *Recorder) enqueue(ctx context.Context, p *pending) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return errClosed
	}
	select {
	case r.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unavailable(cause error) error {
	if cause == nil {
		return nil
	}
	return &errs.Error{Kind: errs.Unavailable, Message: msgUnavailable, Op: "audit.Record", Err: cause}
}

// entryOf turns a validated event into an entry without seq and hashes.
func entryOf(ev Event, now time.Time) Entry {
	e := Entry{
		OrgID: ev.OrgID, Time: now,
		ActorID: ev.ActorID, ActorRole: ev.ActorRole, Action: ev.Action,
		ResourceType: ev.ResourceType, ResourceID: ev.ResourceID, PatientID: ev.PatientID,
		Outcome: ev.Outcome, Purpose: ev.Purpose, Category: ev.Category,
		UserAgent: ev.UserAgent, RequestID: ev.RequestID,
		Fields: slices.Clone(ev.Fields), DataHash: ev.DataHash,
	}
	if e.Fields == nil {
		e.Fields = []string{}
	}
	if ev.IP.IsValid() {
		e.IP = ev.IP.String()
	}
	return e
}

// Close stops accepting entries, commits those already queued, signs a
// checkpoint for every practice this recorder appended to since its last
// one, and returns the error of that last step, if any. Record after Close
// fails. Close is safe to call more than once.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		close(r.queue)
		r.mu.Unlock()
		<-r.done
		r.closeErr = r.lastErr
	})
	return r.closeErr
}

// loop is the one goroutine that writes entries.
func (r *Recorder) loop() {
	defer close(r.done)
	ticker := time.NewTicker(r.opts.CheckpointInterval)
	defer ticker.Stop()
	batch := make([]*pending, 0, r.opts.MaxBatch)
	for {
		select {
		case p, ok := <-r.queue:
			if !ok {
				r.lastErr = r.checkpoint(true)
				return
			}
			batch = append(batch[:0], p)
		drain:
			for len(batch) < r.opts.MaxBatch {
				select {
				case p, ok := <-r.queue:
					if !ok {
						break drain // the next receive sees the close
					}
					batch = append(batch, p)
				default:
					break drain
				}
			}
			r.commit(batch)
			clear(batch)
		case <-ticker.C:
			r.lastErr = r.checkpoint(false)
		}
	}
}

// commit appends batch and tells each caller the result. If a constraint
// rejects the batch, each entry is tried alone, so one bad entry (which
// Validate should have caught) cannot fail the others.
func (r *Recorder) commit(batch []*pending) {
	err := r.append(batch)
	if err != nil && errs.Is(err, errs.Invalid) && len(batch) > 1 {
		for _, p := range batch {
			p.done <- r.append([]*pending{p})
		}
		return
	}
	for _, p := range batch {
		p.done <- err
	}
}

// append commits the entries of batch in one transaction.
func (r *Recorder) append(batch []*pending) error {
	byOrg := map[string][]*pending{}
	var orgs []string
	for _, p := range batch {
		if _, ok := byOrg[p.entry.OrgID]; !ok {
			orgs = append(orgs, p.entry.OrgID)
		}
		byOrg[p.entry.OrgID] = append(byOrg[p.entry.OrgID], p)
	}
	slices.Sort(orgs) // every process locks heads in one order: no deadlocks
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.CommitTimeout)
	defer cancel()
	now := r.now()
	var signed map[string]bool
	err := r.store.AppendAudit(ctx, orgs, func(heads []Head) (Append, error) {
		signed = map[string]bool{}
		a := Append{Entries: make([]Entry, 0, len(batch))}
		for _, h := range heads {
			seq, prev := h.Seq, h.Hash
			if seq == 0 {
				prev = GenesisHash()
			}
			for _, p := range byOrg[h.OrgID] {
				e := p.entry
				seq++
				e.Seq, e.PrevHash = seq, prev
				e.Hash = EntryHash(e)
				prev = e.Hash
				a.Entries = append(a.Entries, e)
			}
			a.Heads = append(a.Heads, r.maybeCheckpoint(&a, h, seq, prev, now, false, signed))
		}
		return a, nil
	})
	if err != nil {
		r.opts.Logger.Error("audit: append failed", "entries", len(batch), "orgs", len(orgs), "err", err)
		return err
	}
	for _, org := range orgs {
		r.dirty[org] = !signed[org]
	}
	return nil
}

// maybeCheckpoint returns the new head of h's chain, which now ends at seq
// with hash, adding a signed checkpoint to a when one is due (or, with
// force, whenever entries follow the last one).
func (r *Recorder) maybeCheckpoint(a *Append, h Head, seq int64, hash []byte, now time.Time, force bool, signed map[string]bool) Head {
	nh := Head{OrgID: h.OrgID, Seq: seq, Hash: hash, CheckpointSeq: h.CheckpointSeq, CheckpointAt: h.CheckpointAt}
	behind := seq - h.CheckpointSeq
	due := behind >= r.opts.CheckpointEvery || h.CheckpointSeq == 0 ||
		now.Sub(h.CheckpointAt) >= r.opts.CheckpointInterval
	if behind > 0 && (due || force) {
		a.Checkpoints = append(a.Checkpoints, r.signer.Sign(h.OrgID, seq, hash, now))
		nh.CheckpointSeq, nh.CheckpointAt = seq, now
		signed[h.OrgID] = true
	}
	return nh
}

// checkpoint signs a checkpoint for each practice in r.dirty whose chain has
// entries after its last checkpoint and is due for one (or, with force, for
// all of them).
func (r *Recorder) checkpoint(force bool) error {
	var orgs []string
	for org, d := range r.dirty {
		if d {
			orgs = append(orgs, org)
		}
	}
	if len(orgs) == 0 {
		return nil
	}
	slices.Sort(orgs)
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.CommitTimeout)
	defer cancel()
	now := r.now()
	var signed map[string]bool
	err := r.store.AppendAudit(ctx, orgs, func(heads []Head) (Append, error) {
		signed = map[string]bool{}
		var a Append
		for _, h := range heads {
			hash := h.Hash
			if h.Seq == 0 {
				hash = GenesisHash()
			}
			a.Heads = append(a.Heads, r.maybeCheckpoint(&a, h, h.Seq, hash, now, force, signed))
		}
		return a, nil
	})
	if err != nil {
		r.opts.Logger.Error("audit: checkpoint failed", "orgs", len(orgs), "err", err)
		return errs.Wrap(err, errs.KindOf(err), "audit.checkpoint")
	}
	for _, org := range orgs {
		if signed[org] || force {
			delete(r.dirty, org)
		}
	}
	return nil
}

// Entries lists the entries f selects, in seq order: the search behind the
// admin audit pages and "who accessed my record" (f.PatientID). An invalid
// filter is errs.Invalid. Access control is the caller's job.
func (r *Recorder) Entries(ctx context.Context, f Filter) ([]Entry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return r.store.AuditEntries(ctx, f)
}
