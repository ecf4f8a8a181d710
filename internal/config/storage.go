package config

import (
	"net/url"
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
		l.postgres(raw, prod)
		return
	}
	path, ok := sqlitePath(raw)
	switch {
	case !ok:
		l.add(name, "has an unsupported scheme; use postgres://, postgresql://, sqlite:PATH or file:PATH")
	case path == "":
		l.add(name, "names no SQLite file (example: sqlite:./data/astral.db)")
	case strings.Contains(path, "?"):
		// The store sets the pragmas it relies on (foreign keys, WAL, busy
		// timeout); letting a DSN override them would weaken integrity.
		l.add(name, "has SQLite query parameters; remove them, the store sets its own pragmas")
	}
}

// postgres checks a PostgreSQL URL. In production the connection must verify
// the server's certificate: without it a network attacker can read PHI in
// transit, and sslmode=require checks nothing about who answers.
func (l *loader) postgres(raw string, prod bool) {
	const name = "ASTRAL_DATABASE_URL"
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
