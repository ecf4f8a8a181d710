package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/astralcore/astral/internal/errs"
)

// classify turns a driver error into an *errs.Error, the only kind of error
// that leaves this package. It keeps the driver error as the private cause
// (driver messages name constraints and columns, never bound values).
//
//	sql.ErrNoRows                      -> NotFound
//	unique / primary key violation     -> Conflict
//	foreign key, check, not null       -> Invalid
//	anything else (incl. serialization) -> Internal; InTx retries serialization
//
// An error that is already an *errs.Error is returned unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return &errs.Error{Kind: kindOf(err), Err: err}
}

func kindOf(err error) errs.Kind {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return errs.Conflict
		case "23503", "23514", "23502": // foreign_key, check, not_null
			return errs.Invalid
		}
		return errs.Internal
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errs.Conflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK,
			sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return errs.Invalid
		}
	}
	return errs.Internal
}

// retryable reports whether err anywhere in its chain is a transient
// conflict between transactions, after which the whole transaction may be run
// again: a PostgreSQL serialization failure or deadlock, or SQLite busy or
// locked (another process holds the write lock past busy_timeout).
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary code; extended codes add high bits
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}
