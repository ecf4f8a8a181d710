package config

import (
	"net/url"
	"path/filepath"
	"strings"
)

// database reads ASTRAL_DATABASE_URL. Its value is a Secret, so no message
// here quotes it, nor a url.Parse error (which would quote it too).
func (l *loader) database(c *Config, prod bool) {
	const name = "ASTRAL_DATABASE_URL"
	raw := l.get(name)
	c.DatabaseURL = Secret(raw)
	if raw == "" {
		return
	}
	if isPostgres(raw) {
		l.postgres(name, raw, prod)
		return
	}
	l.sqlite(name, raw, "astral.db")
}

// sqlite checks a sqlite:PATH or file:PATH value of the variable name.
func (l *loader) sqlite(name, raw, file string) {
	path, ok := sqlitePath(raw)
	switch {
	case !ok:
		l.add(name, "has an unsupported scheme; use postgres://, postgresql://, sqlite:PATH or file:PATH")
	case path == "":
		l.add(name, "names no SQLite file (example: sqlite:./data/%s)", file)
	case strings.Contains(path, "?"):
		// The store sets the pragmas it relies on (foreign keys, WAL, busy
		// timeout); letting a DSN override them would weaken integrity.
		l.add(name, "has SQLite query parameters; remove them, the store sets its own pragmas")
	}
}

// postgres checks a PostgreSQL URL in the variable name. In production the
// connection must verify the server's certificate: without it a network
// attacker can read PHI (or keys) in transit, and sslmode=require checks
// nothing about who answers.
func (l *loader) postgres(name, raw string, prod bool) {
	const example = " (example: postgres://astral@db.internal:5432/astral?sslmode=verify-full)"
	u, err := url.Parse(raw)
	if err != nil {
		l.add(name, "is not a valid URL; percent-encode special characters in the password")
		return
	}
	if u.Hostname() == "" {
		l.add(name, "has no host"+example)
	}
	if db := strings.TrimPrefix(u.Path, "/"); db == "" || strings.Contains(db, "/") {
		l.add(name, "has no database name as its path"+example)
	}
	if prod {
		switch u.Query().Get("sslmode") {
		case "verify-full", "verify-ca":
		default:
			l.add(name, "database TLS is not verified; production needs sslmode=verify-full or sslmode=verify-ca in the URL")
		}
	}
}

// keysDatabase reads ASTRAL_KEYS_DATABASE_URL, where the keystore (wrapped
// data keys) lives: a Secret like ASTRAL_DATABASE_URL, with the same checks.
// It must be a database other than the data's, or destroying a key
// (crypto-shredding) would not reach the data's backups. With SQLite it
// defaults to keys.db in the data directory. With PostgreSQL production
// requires it, names another database and is PostgreSQL itself; outside
// production it may be unset, and the keystore then shares the main
// database (KeysDatabase reports that, so the caller can warn).
func (l *loader) keysDatabase(c *Config, prod bool) {
	const name = "ASTRAL_KEYS_DATABASE_URL"
	raw := l.get(name)
	c.KeysDatabaseURL = Secret(raw)
	mainPG := isPostgres(c.DatabaseURL.Reveal())
	if raw == "" {
		if prod && mainPG {
			l.add(name, "is required in production with PostgreSQL: the wrapped data keys need a database other than ASTRAL_DATABASE_URL, so that erasing a key also erases the data in its backups")
		}
		return
	}
	if !isPostgres(raw) {
		l.sqlite(name, raw, "keys.db")
		if prod && mainPG {
			l.add(name, "must be a postgres:// URL in production with PostgreSQL (every replica needs the same keystore)")
		}
		if path, _ := sqlitePath(raw); !mainPG && path != "" && filepath.Clean(path) == filepath.Clean(c.SQLitePath()) {
			l.add(name, "names the same SQLite file as ASTRAL_DATABASE_URL; the keys need a file of their own")
		}
		return
	}
	l.postgres(name, raw, prod)
	if prod && mainPG && samePostgresDatabase(raw, c.DatabaseURL.Reveal()) {
		l.add(name, "names the same database as ASTRAL_DATABASE_URL; production needs the keys in a database of their own, so that erasing a key also erases the data in its backups")
	}
}

// samePostgresDatabase reports whether two PostgreSQL URLs name the same
// database: host (case-insensitive), port (default 5432) and database name.
// Users and parameters do not matter. Unparseable URLs are never the same;
// postgres reports them.
func samePostgresDatabase(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return "5432"
	}
	return strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub) &&
		strings.TrimPrefix(ua.Path, "/") == strings.TrimPrefix(ub.Path, "/")
}

// KeysDatabase returns where the keystore lives, for store.OpenKeyStore:
// driver "sqlite" with a file path (ASTRAL_KEYS_DATABASE_URL's, else keys.db
// in DataDir), or "postgres" with a URL. dsn may hold a password: pass it to
// the store and nowhere else. shared is true when the keystore falls back to
// the main PostgreSQL database (ASTRAL_KEYS_DATABASE_URL unset outside
// production); the caller should log a warning then, since backups of that
// database hold the keys and crypto-shredding cannot reach them.
func (c *Config) KeysDatabase() (driver, dsn string, shared bool) {
	raw := c.KeysDatabaseURL.Reveal()
	switch {
	case raw == "" && c.Driver() == "postgres":
		return "postgres", c.DatabaseURL.Reveal(), true
	case raw == "":
		return "sqlite", filepath.Join(c.DataDir, "keys.db"), false
	case isPostgres(raw):
		return "postgres", raw, isPostgres(c.DatabaseURL.Reveal()) && samePostgresDatabase(raw, c.DatabaseURL.Reveal())
	}
	path, _ := sqlitePath(raw)
	return "sqlite", path, false
}

// redis reads ASTRAL_REDIS_URL, a Secret like the database URL. In production
// a Redis reached over the network must use TLS (rediss://): sessions and
// rate-limit state pass through it.
func (l *loader) redis(c *Config, prod bool) {
	const name = "ASTRAL_REDIS_URL"
	const example = " (example: rediss://redis.internal:6379/0)"
	raw := l.get(name)
	c.RedisURL = Secret(raw)
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		l.add(name, "is not a valid URL; percent-encode special characters in the password")
		return
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		l.add(name, "must start with rediss:// or redis://"+example)
		return
	}
	if u.Hostname() == "" {
		l.add(name, "has no host"+example)
		return
	}
	if prod && u.Scheme == "redis" && !isLoopback(u.Hostname()) {
		l.add(name, "uses redis:// to a non-loopback host; production needs rediss:// (TLS)")
	}
}
