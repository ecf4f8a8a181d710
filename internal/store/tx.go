package store

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// maxAttempts bounds how often InTx runs a transaction that keeps hitting
// serialization failures.
const maxAttempts = 5

// Tx is a database transaction, handed to the function given to InTx. It has
// the same domain methods as DB, all running inside the transaction, so a
// caller can combine several writes (a change and its audit entry) atomically.
// A Tx must not be used after the function returns.
type Tx struct {
	conn
	now time.Time
}

// Now returns the transaction's timestamp: read once from the clock when the
// transaction began, so every row it writes carries the same time.
func (tx *Tx) Now() time.Time { return tx.now }

// InTx runs fn in a transaction and commits it if fn returns nil. If fn
// returns an error or panics, the transaction is rolled back and the error
// (or panic) is passed on unchanged.
//
// Serialization failures (PostgreSQL 40001 and 40P01, SQLite busy or locked)
// roll back and run fn again, up to 5 times with a small jittered backoff, so
// fn must be safe to repeat: it must do nothing but database work through tx.
// If every attempt fails that way, the error is errs.Unavailable.
//
// fn must not call methods on db itself: on SQLite there is only one writer
// connection, which the transaction holds, so a nested write would wait for
// itself forever.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tryTx(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return errs.Wrap(err, errs.Unavailable, "store.InTx")
		}
		db.log.DebugContext(ctx, "store: retrying transaction", "attempt", attempt, "err", err)
		// 2ms, 4ms, 8ms, 16ms, each plus up to the same again at random.
		backoff := time.Duration(1<<attempt) * time.Millisecond
		backoff += rand.N(backoff)
		select {
		case <-ctx.Done():
			return errs.Wrap(ctx.Err(), errs.Internal, "store.InTx")
		case <-time.After(backoff):
		}
	}
}

func (db *DB) tryTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "store.InTx: begin")
	}
	done := false
	defer func() {
		if !done {
			// A panic in fn: roll back, then let the panic continue.
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{conn: conn{r: sqlTx, d: db.d}, now: truncateTime(db.now())}
	if err := fn(tx); err != nil {
		done = true
		_ = sqlTx.Rollback() // the original error matters more than a rollback failure
		return err
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return errs.Wrap(err, errs.Internal, "store.InTx: commit")
	}
	return nil
}

// inTx1 runs fn in InTx and returns its value, for the *DB wrappers of Tx
// methods.
func inTx1[T any](ctx context.Context, db *DB, fn func(tx *Tx) (T, error)) (T, error) {
	var v T
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// Ensure sql.Tx satisfies runner.
var _ runner = (*sql.Tx)(nil)
