// Package jobs is Astral Core's background job queue: rows in the database,
// shared by every replica, that survive a restart.
//
// A job is enqueued as a row (Queue.Enqueue, or store.Tx.EnqueueJob inside a
// domain transaction so the job exists exactly when the change that needs it
// commits). Workers claim due jobs in batches — FOR UPDATE SKIP LOCKED on
// PostgreSQL, the single writer connection under BEGIN IMMEDIATE on SQLite —
// and hold each under a lease (locked_until). A handler's outcome settles the
// job: done; queued again with exponential backoff and jitter; or dead, after
// MaxAttempts or at once for an errs.Invalid error, which retrying cannot fix.
// A worker that dies leaves its jobs to be reclaimed when their leases end,
// so nothing queued is lost, and a job may run more than once: handlers must
// be idempotent. Once helps with side effects that must not repeat.
//
// Jobs carry no PHI. The payload holds ids only; a failed job records the
// errs.Kind and operation name of its error, never the message.
package jobs

import (
	"encoding/json"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Limits on a new job.
const (
	// DefaultMaxAttempts is used when NewJob.MaxAttempts is 0.
	DefaultMaxAttempts = 10
	// MaxMaxAttempts bounds NewJob.MaxAttempts.
	MaxMaxAttempts = 100
	// MaxPayload bounds the payload in bytes. Payloads hold ids, so this
	// is generous.
	MaxPayload = 64 << 10
	// MaxKind bounds the kind's length.
	MaxKind = 100
	// MaxKey bounds a unique key's and an effect key's length.
	MaxKey = 200
)

// Translation keys for field problems; the text lives with the translations.
const (
	msgRequired      = "field.required"
	msgTooLong       = "field.too_long"       // args: max characters
	msgInvalidFormat = "field.invalid_format" // not the expected format
	msgOutOfRange    = "field.out_of_range"   // args: min, max
)

// Job is one unit of background work, as a handler receives it.
type Job struct {
	ID string
	// OrgID is the practice the job works for, or "" for a system job.
	OrgID string
	// Kind selects the handler, such as "email.send".
	Kind string
	// Payload is the job's JSON input. It must never hold PHI: put ids in
	// it, and let the handler read the data through the domain, which checks
	// access, audits and decrypts. The queue logs kinds and ids, never it.
	Payload []byte
	// RunAt is when the job became due (again, after a retry).
	RunAt time.Time
	// Attempts counts the claims so far, this one included: 1 on the first
	// run. MaxAttempts is how many claims the job gets before it is dead.
	Attempts, MaxAttempts int
	// UniqueKey, if set, made the enqueue idempotent; see NewJob.
	UniqueKey string
}

// NewJob is the input for an enqueue.
type NewJob struct {
	// Kind selects the handler: 1–100 characters of a-z, 0-9, '.', '_', '-'.
	Kind string
	// OrgID is the practice, or "" for a system job. An unknown practice is
	// errs.Invalid.
	OrgID string
	// Payload is JSON (empty means {}), at most MaxPayload bytes, with ids
	// only and never PHI.
	Payload []byte
	// RunAt is when the job becomes due; zero means now.
	RunAt time.Time
	// MaxAttempts is 1–100; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// UniqueKey, if not empty, makes the enqueue idempotent across the whole
	// deployment and for as long as the job's row exists: a second enqueue
	// with the same key creates nothing and returns the first job, whatever
	// its state. Build it from ids, such as "reminder:<appointment id>:24h",
	// so "send this reminder" is queued, and so sent, once. A key held by a
	// job of another kind or practice is errs.Conflict. At most 200 bytes.
	UniqueKey string
}

// WithDefaults returns nj with the zero MaxAttempts and empty Payload
// replaced by their defaults.
func (nj NewJob) WithDefaults() NewJob {
	if nj.MaxAttempts == 0 {
		nj.MaxAttempts = DefaultMaxAttempts
	}
	if len(nj.Payload) == 0 {
		nj.Payload = []byte("{}")
	}
	return nj
}

// Validate checks nj after WithDefaults. It returns an errs.Invalid error
// listing every problem, or nil. It cannot tell whether OrgID exists; the
// store reports an unknown practice.
func (nj NewJob) Validate() error {
	var fe []errs.FieldError
	add := func(field, msg string, args ...any) {
		fe = append(fe, errs.FieldError{Field: field, Message: msg, Args: args})
	}
	switch {
	case nj.Kind == "":
		add("kind", msgRequired)
	case len(nj.Kind) > MaxKind:
		add("kind", msgTooLong, MaxKind)
	case !validKind(nj.Kind):
		add("kind", msgInvalidFormat)
	}
	switch {
	case len(nj.Payload) > MaxPayload:
		add("payload", msgTooLong, MaxPayload)
	case !json.Valid(nj.Payload):
		add("payload", msgInvalidFormat)
	}
	if nj.MaxAttempts < 1 || nj.MaxAttempts > MaxMaxAttempts {
		add("max_attempts", msgOutOfRange, 1, MaxMaxAttempts)
	}
	if len(nj.UniqueKey) > MaxKey {
		add("unique_key", msgTooLong, MaxKey)
	}
	if len(fe) > 0 {
		return errs.InvalidFields(fe...)
	}
	return nil
}

func validKind(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateEffectKey checks a key for Once or the store's effect markers: 1–200
// bytes. It returns an errs.Invalid error or nil.
func ValidateEffectKey(key string) error {
	switch {
	case key == "":
		return errs.InvalidFields(errs.FieldError{Field: "key", Message: msgRequired})
	case len(key) > MaxKey:
		return errs.InvalidFields(errs.FieldError{Field: "key", Message: msgTooLong, Args: []any{MaxKey}})
	}
	return nil
}
