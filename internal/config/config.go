// Package config reads Astral Core's settings from ASTRAL_* environment
// variables into one Config value.
//
// Load reports every problem at once, so an operator fixes a deployment in one
// pass rather than one restart per typo. In production it also refuses
// settings that would expose PHI: a plain-HTTP public URL, unverified database
// TLS, generated development keys and plain-HTTP Vault. Secrets are held in
// the Secret type, which prints, marshals and logs as "[redacted]", and no
// problem message ever repeats a secret's value.
//
// Nothing here reads the process environment itself: callers pass a getenv
// function (os.Getenv in main, a map in tests), and AddFlags layers
// command-line flags on top of it. Empty values mean "not set" and every value
// is trimmed of surrounding spaces.
package config

import (
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Env names the mode Astral Core runs in.
type Env string

// The modes. Only Production adds refusals; Development and Test differ only
// in what other packages choose to do with them.
const (
	Development Env = "development"
	Production  Env = "production"
	Test        Env = "test"
)

// Config is every setting Astral Core reads at start-up. Load fills it in and
// validates it; a Config that Load returned is safe to use as it is.
type Config struct {
	Env              Env            // ASTRAL_ENV, default development
	Addr             string         // ASTRAL_ADDR, host:port of the public listener
	AdminAddr        string         // ASTRAL_ADMIN_ADDR, host:port of the admin listener; "" when "off"
	AdminAllowRemote bool           // ASTRAL_ADMIN_ALLOW_REMOTE, lets AdminAddr be a non-loopback host
	PublicURL        *url.URL       // ASTRAL_PUBLIC_URL, absolute http(s) URL, path without trailing slash
	DataDir          string         // ASTRAL_DATA_DIR, default ./data
	DatabaseURL      Secret         // ASTRAL_DATABASE_URL, "" means SQLite at DataDir/astral.db
	KeysDatabaseURL  Secret         // ASTRAL_KEYS_DATABASE_URL, the keystore; see KeysDatabase
	RedisURL         Secret         // ASTRAL_REDIS_URL, optional
	LogLevel         slog.Level     // ASTRAL_LOG_LEVEL, default info
	KMS              string         // ASTRAL_KMS, "local" or "vault"
	MasterKey        Secret         // ASTRAL_MASTER_KEY, base64 of 32 bytes or "1:B64,2:B64" (package keyfile)
	MasterKeyFile    string         // ASTRAL_MASTER_KEY_FILE, JSON key document or one base64 key, mode 0600
	VaultAddr        *url.URL       // ASTRAL_VAULT_ADDR, nil when not set
	VaultToken       Secret         // ASTRAL_VAULT_TOKEN
	VaultMount       string         // ASTRAL_VAULT_MOUNT, default transit
	VaultKey         string         // ASTRAL_VAULT_KEY, default astral
	VaultCACert      string         // ASTRAL_VAULT_CACERT, PEM file of the only CA trusted for Vault
	TrustedProxies   []netip.Prefix // ASTRAL_TRUSTED_PROXIES, masked prefixes
	MaxBodyBytes     int64          // ASTRAL_MAX_BODY_BYTES, 1 KiB..1 GiB
	ShutdownTimeout  time.Duration  // ASTRAL_SHUTDOWN_TIMEOUT, 1s..10m
	KeysCheckEvery   time.Duration  // ASTRAL_KEYS_CHECK_INTERVAL, 1s..5m: how soon a sealed key provider stops PHI access

	// The audit log's checkpoint keys; see audit.go.
	AuditSigningKey     Secret           // ASTRAL_AUDIT_SIGNING_KEY, base64 Ed25519 seed; this or the file in production
	AuditSigningKeyFile string           // ASTRAL_AUDIT_SIGNING_KEY_FILE, file holding that base64
	AuditTrustedKeys    auditTrustedKeys // ASTRAL_AUDIT_TRUSTED_KEYS, base64 public keys of earlier signing keys

	// Outgoing email; see smtp.go. Without SMTPHost it goes to OutboxDir.
	SMTPHost     string // ASTRAL_SMTP_HOST, the relay; "" means the development outbox (refused in production)
	SMTPPort     int    // ASTRAL_SMTP_PORT, default 587, or 465 with implicit TLS
	SMTPTLS      string // ASTRAL_SMTP_TLS: starttls (default), implicit, or none (loopback relay only, not in production)
	SMTPUsername string // ASTRAL_SMTP_USERNAME, "" for no AUTH
	SMTPPassword Secret // ASTRAL_SMTP_PASSWORD, set together with the username
	SMTPFrom     string // ASTRAL_SMTP_FROM, "addr" or "Name <addr>"; required with SMTPHost
	SMTPCACert   string // ASTRAL_SMTP_CACERT, PEM file of the CAs trusted for the relay instead of the system's

	// Session timeouts, ASTRAL_SESSION_*; see session.go.
	Session Session
}

// Load reads every ASTRAL_* setting through getenv and validates it.
//
// It never stops at the first problem: when anything is wrong it returns a nil
// Config and an error of type *Problems listing all of them, sorted. Problem
// messages never contain a secret's value. The only I/O is reading
// ASTRAL_MASTER_KEY_FILE when it is set.
func Load(getenv func(string) string) (*Config, error) {
	l := &loader{getenv: getenv}
	c := &Config{}

	c.Env = Env(l.enum("ASTRAL_ENV", string(Development), string(Development), string(Production), string(Test)))
	prod := c.Env == Production

	l.listeners(c)
	c.PublicURL = l.publicURL(c.Addr, prod)
	c.DataDir = l.str("ASTRAL_DATA_DIR", "./data")
	l.database(c, prod)
	l.keysDatabase(c, prod)
	l.redis(c, prod)
	c.LogLevel = l.logLevel()
	l.keys(c, prod)
	c.TrustedProxies = l.prefixes("ASTRAL_TRUSTED_PROXIES", prod)
	c.MaxBodyBytes = l.int64Range("ASTRAL_MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30)
	c.ShutdownTimeout = l.durationRange("ASTRAL_SHUTDOWN_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute)
	c.KeysCheckEvery = l.durationRange("ASTRAL_KEYS_CHECK_INTERVAL", 10*time.Second, time.Second, 5*time.Minute)
	l.audit(c, prod)
	l.smtp(c, prod)
	l.session(c)

	if len(l.problems) > 0 {
		l.problems.sort()
		return nil, &l.problems
	}
	return c, nil
}

// IsProduction reports whether c.Env is Production.
func (c *Config) IsProduction() bool { return c.Env == Production }

// Driver returns the database/sql engine c.DatabaseURL selects: "postgres"
// for postgres:// and postgresql:// URLs, otherwise "sqlite".
func (c *Config) Driver() string {
	if isPostgres(c.DatabaseURL.Reveal()) {
		return "postgres"
	}
	return "sqlite"
}

// SQLitePath returns the SQLite database file: the PATH of a sqlite:PATH or
// file:PATH DatabaseURL, or DataDir/astral.db when DatabaseURL is not set. It
// returns "" when Driver is "postgres".
func (c *Config) SQLitePath() string {
	raw := c.DatabaseURL.Reveal()
	switch {
	case raw == "":
		return filepath.Join(c.DataDir, "astral.db")
	case isPostgres(raw):
		return ""
	}
	path, _ := sqlitePath(raw)
	return path
}

// isPostgres reports whether raw is a PostgreSQL URL. Schemes are
// case-insensitive (RFC 3986), so the check is too.
func isPostgres(raw string) bool {
	lower := strings.ToLower(raw)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// sqlitePath returns the path of a sqlite:PATH or file:PATH DSN, and whether
// raw had one of those prefixes.
func sqlitePath(raw string) (string, bool) {
	for _, prefix := range []string{"sqlite:", "file:"} {
		if len(raw) >= len(prefix) && strings.EqualFold(raw[:len(prefix)], prefix) {
			return raw[len(prefix):], true
		}
	}
	return "", false
}
