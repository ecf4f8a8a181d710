// Package store implements every domain Store once, over database/sql, for
// SQLite (the embedded default, pure Go) and PostgreSQL.
//
// Queries are hand-written in the SQL both engines share, next to the method
// that runs them; the few differences live in one dialect value. Driver errors
// become *errs.Error values at this edge (see classify), and the store owns
// transactions: each write method on *DB runs in InTx, which retries
// serialization failures. The store never decides who may see what; that is
// the domain's and the policy package's job.
package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

var (
	_ identity.Store = (*DB)(nil)
	_ identity.Store = (*Tx)(nil)
)

// Drivers accepted by Open.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Options tune Open. The zero value is usable.
type Options struct {
	// Now is the clock; nil means time.Now. Each transaction reads it once.
	Now func() time.Time
	// MaxOpenConns bounds the PostgreSQL pool, or the SQLite reader pool
	// (SQLite always has exactly one writer connection). 0 picks a default.
	MaxOpenConns int
	// Logger receives retries and applied migrations; nil discards.
	Logger *slog.Logger
}

// DB is a handle on the database. It is safe for concurrent use.
type DB struct {
	d      *dialect
	writer *sql.DB // on PostgreSQL, writer and reader are the same pool
	reader *sql.DB
	now    func() time.Time
	log    *slog.Logger
}

// Open connects to the database and checks that it answers. driver is
// DriverSQLite, with dsn a file path (its directory must exist), or
// DriverPostgres, with dsn a postgres:// URL. Open does not migrate; call
// Migrate. An unknown driver is errs.Invalid; a failed connection is
// errs.Internal.
func Open(ctx context.Context, driver, dsn string, opts Options) (_ *DB, err error) {
	defer errs.Op(&err, "store.Open")
	db := &DB{now: opts.Now, log: opts.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	switch driver {
	case DriverSQLite:
		db.d = newSQLiteDialect()
		err = db.openSQLite(ctx, dsn, opts.MaxOpenConns)
	case DriverPostgres:
		db.d = newPostgresDialect()
		err = db.openPostgres(ctx, dsn, opts.MaxOpenConns)
	default:
		return nil, errs.E(errs.Invalid, "error.unknown_database_driver")
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openSQLite opens two pools on one file: a single writer connection, whose
// transactions start with BEGIN IMMEDIATE so writers queue in Go instead of
// failing with SQLITE_BUSY on lock upgrade, and a read-only pool that WAL lets
// run beside it.
func (db *DB) openSQLite(ctx context.Context, path string, readers int) error {
	if readers <= 0 {
		readers = max(4, runtime.NumCPU())
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, "&_txlock=immediate"))
	if err != nil {
		return classify(err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Ping the writer first: it switches the file to WAL before readers open.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return classify(err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, "&_query_only=1"))
	if err != nil {
		_ = w.Close()
		return classify(err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	if err := r.PingContext(ctx); err != nil {
		_ = w.Close()
		_ = r.Close()
		return classify(err)
	}
	db.writer, db.reader = w, r
	return nil
}

// sqliteDSN builds a modernc URI for path. The pragmas run on every new
// connection: WAL for concurrent readers, enforced foreign keys, a generous
// busy timeout for other processes (backups, `astral migrate`), and
// synchronous=FULL because a committed audit entry must survive power loss.
func sqliteDSN(path, extra string) string {
	// Escape the characters that are special in a file: URI.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + p + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)" + extra
}

func (db *DB) openPostgres(ctx context.Context, url string, conns int) error {
	if conns <= 0 {
		conns = 10
	}
	p, err := sql.Open("pgx", url)
	if err != nil {
		return classify(err)
	}
	p.SetMaxOpenConns(conns)
	p.SetMaxIdleConns(conns)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		_ = p.Close()
		return classify(err)
	}
	db.writer, db.reader = p, p
	return nil
}

// Close closes every pool.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return errs.Wrap(err, errs.Internal, "store.Close")
}

// Ping checks that the database answers, for readiness probes. On SQLite it
// checks the writer, which is what a request needs to make progress.
func (db *DB) Ping(ctx context.Context) error {
	return errs.Wrap(db.writer.PingContext(ctx), errs.Internal, "store.Ping")
}

// Driver returns DriverSQLite or DriverPostgres.
func (db *DB) Driver() string { return db.d.name }

// Stats returns connection pool statistics for metrics. On SQLite it sums
// the writer and reader pools.
func (db *DB) Stats() sql.DBStats {
	s := db.writer.Stats()
	if db.reader == db.writer {
		return s
	}
	r := db.reader.Stats()
	s.MaxOpenConnections += r.MaxOpenConnections
	s.OpenConnections += r.OpenConnections
	s.InUse += r.InUse
	s.Idle += r.Idle
	s.WaitCount += r.WaitCount
	s.WaitDuration += r.WaitDuration
	s.MaxIdleClosed += r.MaxIdleClosed
	s.MaxIdleTimeClosed += r.MaxIdleTimeClosed
	s.MaxLifetimeClosed += r.MaxLifetimeClosed
	return s
}

// SQL returns the underlying writable pool, for tests and tools only (such as
// a contract test that must bypass the Go checks to prove the schema itself
// rejects a row). Application code goes through the typed methods. Queries
// need the engine's placeholders; see Rebind. On SQLite this is the single
// writer connection: do not hold it while calling other methods.
func (db *DB) SQL() *sql.DB { return db.writer }

// Rebind rewrites a query written with ? placeholders for this engine, for
// tests and tools that use SQL.
func (db *DB) Rebind(query string) string { return db.d.rebind(query) }

// runner is what a transaction and a pool both offer.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with ? placeholders on a transaction or on the
// reader pool. The query functions in this package take a conn so each is
// written once for both.
type conn struct {
	r runner
	d *dialect
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.r.ExecContext(ctx, c.d.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.r.QueryContext(ctx, c.d.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.r.QueryRowContext(ctx, c.d.rebind(query), args...)
}

// read returns a conn on the reader pool, for single-statement reads outside
// a transaction.
func (db *DB) read() conn { return conn{r: db.reader, d: db.d} }
