package store

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// dialect holds the few places where SQLite and PostgreSQL differ. Queries are
// written once, with ? placeholders, in the SQL both engines share; DDL lives
// in per-engine migration files.
type dialect struct {
	name string // "sqlite" or "postgres"

	// numbered placeholders ($1, $2, ...) instead of ?.
	numbered bool
	// forShare locks the rows a SELECT reads until the transaction ends, so
	// a check (a user's role) cannot go stale before the write that depends
	// on it. SQLite needs none: its single writer runs BEGIN IMMEDIATE.
	forShare string
	// migrationLock serializes migrations across processes. SQLite needs
	// none: BEGIN IMMEDIATE already holds the database's only write lock.
	migrationLock string
	// migrationsTable creates schema_migrations if it is missing.
	migrationsTable string

	rebound sync.Map // query string -> rebound string
}

func newSQLiteDialect() *dialect {
	return &dialect{
		name: "sqlite",
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			checksum   TEXT NOT NULL,
			applied_at TEXT NOT NULL
		) STRICT`,
	}
}

func newPostgresDialect() *dialect {
	return &dialect{
		name:     "postgres",
		numbered: true,
		forShare: " FOR SHARE",
		// The key is arbitrary but fixed: "astral" in ASCII.
		migrationLock: "SELECT pg_advisory_xact_lock(418212967020)",
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			checksum   TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL
		)`,
	}
}

// rebind turns ? placeholders into the dialect's own. Each distinct query
// string is rewritten once and cached; queries are constants or built from a
// small set of filter combinations, so the cache stays small.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	q := numberPlaceholders(query)
	d.rebound.Store(query, q)
	return q
}

// numberPlaceholders replaces each ? outside single-quoted literals with $n.
func numberPlaceholders(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// timeArg returns t as the engine stores it: timestamptz on PostgreSQL, a
// fixed-width RFC 3339 UTC string on SQLite (see timecodec.go).
func (d *dialect) timeArg(t time.Time) any {
	if d.numbered {
		return t.UTC()
	}
	return formatTime(t)
}
