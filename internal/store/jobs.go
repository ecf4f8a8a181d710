package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
)

var _ jobs.Store = (*DB)(nil)

// The job queue's rows (see package jobs). Claims lock rows with FOR UPDATE
// SKIP LOCKED on PostgreSQL, so workers on many replicas never wait on each
// other; SQLite's single writer connection under BEGIN IMMEDIATE makes the
// same statements atomic without it.

const jobColumns = `id, org_id, kind, payload, run_at, attempts, max_attempts, unique_key`

const jobStatusColumns = jobColumns + `, state, locked_by, locked_until, last_error_kind,
	last_error_op, created_at, updated_at, done_at`

func scanJob(s scanner) (j jobs.Job, err error) {
	var org, key sql.NullString
	err = s.Scan(&j.ID, &org, &j.Kind, &j.Payload, timeScanner{&j.RunAt}, &j.Attempts, &j.MaxAttempts, &key)
	j.OrgID, j.UniqueKey = org.String, key.String
	return j, err
}

func scanJobStatus(s scanner) (st jobs.Status, err error) {
	var org, key, lockedBy, errKind, errOp sql.NullString
	j := &st.Job
	err = s.Scan(&j.ID, &org, &j.Kind, &j.Payload, timeScanner{&j.RunAt}, &j.Attempts, &j.MaxAttempts, &key,
		(*string)(&st.State), &lockedBy, nullTimeScanner{&st.LockedUntil}, &errKind, &errOp,
		timeScanner{&st.CreatedAt}, timeScanner{&st.UpdatedAt}, nullTimeScanner{&st.DoneAt})
	j.OrgID, j.UniqueKey = org.String, key.String
	st.LockedBy, st.LastError = lockedBy.String, jobs.Failure{Kind: errKind.String, Op: errOp.String}
	return st, err
}

// skipLocked makes a claim's SELECT lock the rows it picks and pass over rows
// other claims hold. SQLite needs none: its one writer claims alone.
func skipLocked(d *dialect) string {
	if d.name == DriverPostgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// nullString maps "" to NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// EnqueueJob stores a new queued job, due at nj.RunAt or now. With a
// non-empty UniqueKey it is idempotent: if a job holds the key already, it
// returns that job and stores nothing, even under concurrent enqueues. Bad
// input or an unknown practice is errs.Invalid; a key held by a job of
// another kind or practice is errs.Conflict.
func (tx *Tx) EnqueueJob(ctx context.Context, nj jobs.NewJob) (_ jobs.Job, err error) {
	defer errs.Op(&err, "store.EnqueueJob")
	nj = nj.WithDefaults()
	if err := nj.Validate(); err != nil {
		return jobs.Job{}, err
	}
	id, err := newID()
	if err != nil {
		return jobs.Job{}, err
	}
	runAt := tx.now
	if !nj.RunAt.IsZero() {
		runAt = truncateTime(nj.RunAt)
	}
	// ON CONFLICT DO NOTHING waits for a concurrent insert of the same key
	// to commit and then inserts nothing, so exactly one row wins.
	j, err := scanJob(tx.queryRow(ctx, `INSERT INTO jobs (id, org_id, kind, payload, state, run_at,
		attempts, max_attempts, unique_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?)
		ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
		RETURNING `+jobColumns,
		id, nullString(nj.OrgID), nj.Kind, string(nj.Payload), tx.d.timeArg(runAt), nj.MaxAttempts,
		nullString(nj.UniqueKey), tx.d.timeArg(tx.now), tx.d.timeArg(tx.now)))
	if !errors.Is(err, sql.ErrNoRows) {
		return j, classify(err)
	}
	j, err = scanJob(tx.queryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE unique_key = ?`, nj.UniqueKey))
	if err != nil {
		return jobs.Job{}, classify(err)
	}
	if j.Kind != nj.Kind || j.OrgID != nj.OrgID {
		return jobs.Job{}, errs.E(errs.Conflict, "error.conflict")
	}
	return j, nil
}

// EnqueueJob enqueues a job in its own transaction; see Tx.EnqueueJob.
func (db *DB) EnqueueJob(ctx context.Context, nj jobs.NewJob) (jobs.Job, error) {
	return inTx1(ctx, db, func(tx *Tx) (jobs.Job, error) { return tx.EnqueueJob(ctx, nj) })
}

// ClaimJobs implements jobs.Store: it claims up to limit due jobs of the
// given kinds for worker, leased until now+lease, after making dead the
// running jobs whose lease ended on their last attempt. A limit below 1, an
// empty worker or a lease below one microsecond is errs.Invalid.
func (db *DB) ClaimJobs(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) (_ []jobs.Job, err error) {
	defer errs.Op(&err, "store.ClaimJobs")
	if limit < 1 || worker == "" || len(worker) > jobs.MaxKey || lease < time.Microsecond {
		return nil, errs.E(errs.Invalid, "error.invalid")
	}
	if len(kinds) == 0 {
		return []jobs.Job{}, nil
	}
	return inTx1(ctx, db, func(tx *Tx) ([]jobs.Job, error) {
		now := tx.d.timeArg(tx.now)
		// A job whose worker died on its last attempt gets no further run.
		_, err := tx.exec(ctx, `UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL,
			last_error_kind = ?, last_error_op = NULL, done_at = ?, updated_at = ?
			WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND locked_until <= ?
				AND attempts >= max_attempts`+skipLocked(tx.d)+`)`,
			jobs.FailureLeaseExpired, now, now, now)
		if err != nil {
			return nil, classify(err)
		}
		args := []any{worker, tx.d.timeArg(tx.now.Add(lease)), now, now, now}
		for _, k := range kinds {
			args = append(args, k)
		}
		args = append(args, limit)
		return list(ctx, tx.conn, `UPDATE jobs SET state = 'running', attempts = attempts + 1,
			locked_by = ?, locked_until = ?, updated_at = ?
			WHERE id IN (SELECT id FROM jobs
				WHERE ((state = 'queued' AND run_at <= ?)
					OR (state = 'running' AND locked_until <= ? AND attempts < max_attempts))
				AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)
				ORDER BY run_at, id LIMIT ?`+skipLocked(tx.d)+`)
			RETURNING `+jobColumns, args, scanJob)
	})
}

// CompleteJob implements jobs.Store: it makes the claimed job done. A claim
// that no longer holds the job is errs.Conflict wrapping jobs.ErrLeaseLost.
func (db *DB) CompleteJob(ctx context.Context, c jobs.Claim) (err error) {
	defer errs.Op(&err, "store.CompleteJob")
	return db.settleJob(ctx, c, `state = 'done', done_at = ?`, func(tx *Tx) []any {
		return []any{tx.d.timeArg(tx.now)}
	})
}

// RetryJob implements jobs.Store: it queues the claimed job again, due after
// delay, and records f. A negative delay counts as 0; a claim that no longer
// holds the job is errs.Conflict wrapping jobs.ErrLeaseLost.
func (db *DB) RetryJob(ctx context.Context, c jobs.Claim, delay time.Duration, f jobs.Failure) (err error) {
	defer errs.Op(&err, "store.RetryJob")
	return db.settleJob(ctx, c, `state = 'queued', run_at = ?, last_error_kind = ?, last_error_op = ?`,
		func(tx *Tx) []any {
			return []any{tx.d.timeArg(tx.now.Add(max(delay, 0))), nullString(f.Kind), nullString(f.Op)}
		})
}

// MarkJobDead implements jobs.Store: it makes the claimed job dead and
// records f. A claim that no longer holds the job is errs.Conflict wrapping
// jobs.ErrLeaseLost.
func (db *DB) MarkJobDead(ctx context.Context, c jobs.Claim, f jobs.Failure) (err error) {
	defer errs.Op(&err, "store.MarkJobDead")
	return db.settleJob(ctx, c, `state = 'dead', done_at = ?, last_error_kind = ?, last_error_op = ?`,
		func(tx *Tx) []any { return []any{tx.d.timeArg(tx.now), nullString(f.Kind), nullString(f.Op)} })
}

// settleJob applies set to the job c claims, if the claim still holds it,
// releasing the lease. args gives set's arguments at the transaction's time.
func (db *DB) settleJob(ctx context.Context, c jobs.Claim, set string, args func(tx *Tx) []any) error {
	return db.InTx(ctx, func(tx *Tx) error {
		a := append(args(tx), tx.d.timeArg(tx.now), c.JobID, c.Worker, c.Attempt)
		res, err := tx.exec(ctx, `UPDATE jobs SET `+set+`, locked_by = NULL, locked_until = NULL,
			updated_at = ? WHERE id = ? AND state = 'running' AND locked_by = ? AND attempts = ?`, a...)
		if err != nil {
			return classify(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errs.Wrap(errors.Join(jobs.ErrLeaseLost, err), errs.Conflict, "")
		}
		return nil
	})
}

// JobStats implements jobs.Store: it counts jobs by state, every state
// present.
func (db *DB) JobStats(ctx context.Context) (_ map[jobs.State]int, err error) {
	defer errs.Op(&err, "store.JobStats")
	type count struct {
		state jobs.State
		n     int
	}
	counts, err := list(ctx, db.read(), `SELECT state, COUNT(*) FROM jobs GROUP BY state`, nil,
		func(s scanner) (c count, err error) { return c, s.Scan((*string)(&c.state), &c.n) })
	if err != nil {
		return nil, err
	}
	out := make(map[jobs.State]int, 4)
	for _, st := range jobs.States() {
		out[st] = 0
	}
	for _, c := range counts {
		out[c.state] = c.n
	}
	return out, nil
}

// JobStatus returns job id with its bookkeeping, for tests, tools and admin
// views; a missing job is errs.NotFound.
func (db *DB) JobStatus(ctx context.Context, id string) (_ jobs.Status, err error) {
	defer errs.Op(&err, "store.JobStatus")
	st, err := scanJobStatus(db.read().queryRow(ctx, `SELECT `+jobStatusColumns+` FROM jobs WHERE id = ?`, id))
	return st, classify(err)
}

// JobEffectDone implements jobs.EffectStore: it reports whether the effect
// named key was marked done. An invalid key is errs.Invalid.
func (db *DB) JobEffectDone(ctx context.Context, key string) (_ bool, err error) {
	defer errs.Op(&err, "store.JobEffectDone")
	if err := jobs.ValidateEffectKey(key); err != nil {
		return false, err
	}
	var n int
	err = db.read().queryRow(ctx, `SELECT COUNT(*) FROM job_effects WHERE key = ?`, key).Scan(&n)
	return n > 0, classify(err)
}

// MarkJobEffect marks the effect named key done, in the transaction that
// makes the effect when it is a database write, and reports whether this was
// the first mark. A caller that gets false rolls back or skips the write: the
// effect happened already, so it happens exactly once. An invalid key is
// errs.Invalid.
func (tx *Tx) MarkJobEffect(ctx context.Context, key string) (first bool, err error) {
	defer errs.Op(&err, "store.MarkJobEffect")
	if err := jobs.ValidateEffectKey(key); err != nil {
		return false, err
	}
	res, err := tx.exec(ctx, `INSERT INTO job_effects (key, done_at) VALUES (?, ?)
		ON CONFLICT (key) DO NOTHING`, key, tx.d.timeArg(tx.now))
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n == 1, classify(err)
}

// MarkJobEffect implements jobs.EffectStore in its own transaction; see
// Tx.MarkJobEffect.
func (db *DB) MarkJobEffect(ctx context.Context, key string) (bool, error) {
	return inTx1(ctx, db, func(tx *Tx) (bool, error) { return tx.MarkJobEffect(ctx, key) })
}
