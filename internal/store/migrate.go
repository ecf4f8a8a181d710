package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// migrationFiles holds the schema changes, numbered NNNN_name.sql, one
// directory per engine. Both directories have the same numbers and names; a
// test checks that. A migration, once released, is never edited: Migrate
// refuses to run when an applied file's checksum has changed.
//
// The keystore, a database of its own (see keys.go), has a second set under
// migrations/keys, recorded in its own table.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
//go:embed migrations/keys/sqlite/*.sql migrations/keys/postgres/*.sql
var migrationFiles embed.FS

// migrationSet names a directory of per-engine migrations and the table that
// records which of them a database has applied.
type migrationSet struct {
	dir   string // holds one subdirectory per engine
	table string // schema_migrations or another name with the same columns
}

// The two migration sets. The keystore's table has a name of its own so that
// both sets can share one database, as a development PostgreSQL keystore
// without ASTRAL_KEYS_DATABASE_URL does.
var (
	coreMigrations = migrationSet{dir: "migrations", table: "schema_migrations"}
	keyMigrations  = migrationSet{dir: "migrations/keys", table: "key_schema_migrations"}
)

// Errors Migrate wraps, so `astral migrate` can explain what to do.
var (
	// ErrMigrationChanged means a migration already applied to the database
	// differs from the copy in this binary.
	ErrMigrationChanged = errors.New("an applied migration differs from this binary's copy")
	// ErrSchemaTooNew means the database has a migration this binary does
	// not know: it was migrated by a newer release.
	ErrSchemaTooNew = errors.New("the database schema is newer than this binary; upgrade the binary")
)

type migration struct {
	version  int
	name     string // "0001_core"
	sql      string
	checksum string // sha256 of the file, hex
}

// MigrationState describes one migration, known to the binary, applied to
// the database, or both.
type MigrationState struct {
	Version   int
	Name      string
	Checksum  string     // of the binary's copy; of the applied one if unknown
	AppliedAt *time.Time // nil while pending
	// Problem is "" when all is well, "changed" when the applied checksum
	// differs from the binary's, "unknown" when the binary lacks it.
	Problem string
}

// loadMigrations returns the engine's core migrations in version order.
func loadMigrations(engine string) ([]migration, error) {
	return coreMigrations.load(engine)
}

// load returns the set's migrations for engine in version order.
func (set migrationSet) load(engine string) ([]migration, error) {
	dir := path.Join(set.dir, engine)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ms = append(ms, migration{
			version:  v,
			name:     strings.TrimSuffix(e.Name(), ".sql"),
			sql:      string(b),
			checksum: hex.EncodeToString(sum[:]),
		})
		if n := len(ms); n > 1 && ms[n-2].version == v {
			return nil, fmt.Errorf("migration version %04d used twice", v)
		}
	}
	return ms, nil // ReadDir sorts by name, and names start with the version
}

type appliedMigration struct {
	name, checksum string
	at             time.Time
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the names of those it applied (none when the schema is current).
// It refuses to run, changing nothing, if an applied migration's checksum
// differs from the binary's (ErrMigrationChanged) or the database has a
// migration the binary does not know (ErrSchemaTooNew); both are
// errs.Internal. On PostgreSQL each step holds an advisory lock, so replicas
// starting at once apply each migration exactly once.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	defer errs.Op(&err, "store.Migrate")
	return db.migrate(ctx, coreMigrations)
}

func (db *DB) migrate(ctx context.Context, set migrationSet) (applied []string, err error) {
	known, err := set.load(db.d.name)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "store.loadMigrations")
	}
	var done map[int]appliedMigration
	err = db.migrationTx(ctx, set, func(tx *Tx) (err error) {
		done, err = checkedMigrations(ctx, tx, set, known)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, m := range known {
		if _, ok := done[m.version]; ok {
			continue
		}
		var ran bool
		err := db.migrationTx(ctx, set, func(tx *Tx) error {
			ran = false
			// Read again under the lock: another replica may have won.
			now, err := checkedMigrations(ctx, tx, set, known)
			if _, ok := now[m.version]; ok || err != nil {
				return err
			}
			// Raw: migration files hold several statements and no placeholders.
			if _, err := tx.r.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err = tx.exec(ctx, `INSERT INTO `+set.table+` (version, name, checksum, applied_at)
				VALUES (?, ?, ?, ?)`, m.version, m.name, m.checksum, tx.d.timeArg(tx.Now()))
			ran = true
			return err
		})
		if err != nil {
			return applied, classify(err)
		}
		if ran {
			db.log.InfoContext(ctx, "store: applied migration", "migration", m.name)
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// MigrationStatus lists the binary's migrations and any unknown ones the
// database has, in version order, with when each was applied.
func (db *DB) MigrationStatus(ctx context.Context) (states []MigrationState, err error) {
	defer errs.Op(&err, "store.MigrationStatus")
	return db.migrationStatus(ctx, coreMigrations)
}

func (db *DB) migrationStatus(ctx context.Context, set migrationSet) (states []MigrationState, err error) {
	known, err := set.load(db.d.name)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "store.loadMigrations")
	}
	var done map[int]appliedMigration
	err = db.migrationTx(ctx, set, func(tx *Tx) (err error) {
		done, err = appliedMigrations(ctx, tx, set)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, m := range known {
		s := MigrationState{Version: m.version, Name: m.name, Checksum: m.checksum}
		if a, ok := done[m.version]; ok {
			s.AppliedAt = &a.at
			if a.checksum != m.checksum {
				s.Problem = "changed"
			}
			delete(done, m.version)
		}
		states = append(states, s)
	}
	for v, a := range done {
		states = append(states, MigrationState{Version: v, Name: a.name, Checksum: a.checksum, AppliedAt: &a.at, Problem: "unknown"})
	}
	slices.SortFunc(states, func(a, b MigrationState) int { return a.Version - b.Version })
	return states, nil
}

// migrationTx runs fn in a transaction that holds the migration lock and in
// which the set's table exists.
func (db *DB) migrationTx(ctx context.Context, set migrationSet, fn func(tx *Tx) error) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if db.d.migrationLock != "" {
			if _, err := tx.exec(ctx, db.d.migrationLock); err != nil {
				return classify(err)
			}
		}
		// The dialect's DDL names schema_migrations; other sets rename it.
		ddl := strings.Replace(db.d.migrationsTable, "schema_migrations", set.table, 1)
		if _, err := tx.r.ExecContext(ctx, ddl); err != nil {
			return classify(err)
		}
		return fn(tx)
	})
}

// checkedMigrations returns the applied migrations after checking that the
// binary knows each one, unchanged.
func checkedMigrations(ctx context.Context, tx *Tx, set migrationSet, known []migration) (map[int]appliedMigration, error) {
	done, err := appliedMigrations(ctx, tx, set)
	if err != nil {
		return nil, err
	}
	byVersion := make(map[int]migration, len(known))
	for _, m := range known {
		byVersion[m.version] = m
	}
	for v, a := range done {
		m, ok := byVersion[v]
		switch {
		case !ok:
			return nil, errs.Wrap(fmt.Errorf("%w: database has version %04d", ErrSchemaTooNew, v), errs.Internal, "store.checkMigrations")
		case a.checksum != m.checksum:
			return nil, errs.Wrap(fmt.Errorf("%w: version %04d", ErrMigrationChanged, v), errs.Internal, "store.checkMigrations")
		}
	}
	return done, nil
}

func appliedMigrations(ctx context.Context, tx *Tx, set migrationSet) (map[int]appliedMigration, error) {
	rows, err := tx.query(ctx, `SELECT version, name, checksum, applied_at FROM `+set.table)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	done := map[int]appliedMigration{}
	for rows.Next() {
		var v int
		var a appliedMigration
		if err := rows.Scan(&v, &a.name, &a.checksum, timeScanner{&a.at}); err != nil {
			return nil, classify(err)
		}
		done[v] = a
	}
	return done, classify(rows.Err())
}
