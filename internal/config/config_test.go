package config

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goodKey is base64 of 32 bytes, a valid ASTRAL_MASTER_KEY.
var goodKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// with returns a copy of base with the pairs in kv applied; "" deletes.
func with(base map[string]string, kv ...string) map[string]string {
	m := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// mustLoad loads m and fails the test on any problem.
func mustLoad(tb testing.TB, m map[string]string) *Config {
	tb.Helper()
	c, err := Load(env(m))
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}

// problemsOf loads m and returns its problems, failing the test if it loads.
func problemsOf(tb testing.TB, m map[string]string) Problems {
	tb.Helper()
	c, err := Load(env(m))
	if err == nil {
		tb.Fatalf("Load succeeded, want problems; config: %+v", c)
	}
	if c != nil {
		tb.Errorf("Load returned a Config alongside an error")
	}
	ps, ok := errors.AsType[*Problems](err)
	if !ok {
		tb.Fatalf("Load error is %T, want *Problems", err)
	}
	return *ps
}

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

var prefixComparer = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func TestLoadDefaults(t *testing.T) {
	got := mustLoad(t, nil)
	want := &Config{
		Env:             Development,
		Addr:            "127.0.0.1:8080",
		AdminAddr:       "127.0.0.1:9090",
		PublicURL:       mustURL(t, "http://127.0.0.1:8080"),
		DataDir:         "./data",
		LogLevel:        slog.LevelInfo,
		KMS:             "local",
		VaultMount:      "transit",
		VaultKey:        "astral",
		MaxBodyBytes:    1 << 20,
		ShutdownTimeout: 30 * time.Second,
		KeysCheckEvery:  10 * time.Second,
		SMTPPort:        587,
		SMTPTLS:         "starttls",
		Session:         Session{IdleStaff: 15 * time.Minute, IdlePatient: 30 * time.Minute, Absolute: 12 * time.Hour, Remember: 720 * time.Hour},
	}
	if diff := cmp.Diff(want, got, prefixComparer); diff != "" {
		t.Errorf("Load(empty) mismatch (-want +got):\n%s", diff)
	}
	if got.Driver() != "sqlite" || got.SQLitePath() != filepath.Join("data", "astral.db") {
		t.Errorf("Driver, SQLitePath = %q, %q; want sqlite, data/astral.db", got.Driver(), got.SQLitePath())
	}
	if got.IsProduction() {
		t.Error("IsProduction() = true for the default environment")
	}
}

func TestLoadValues(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte(goodKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := mustLoad(t, map[string]string{
		"ASTRAL_ENV":                "  TEST ",
		"ASTRAL_ADDR":               ":8443",
		"ASTRAL_ADMIN_ADDR":         "off",
		"ASTRAL_DATABASE_URL":       "postgresql://astral:pw@db.internal:5432/astral?sslmode=disable",
		"ASTRAL_LOG_LEVEL":          "Debug",
		"ASTRAL_KMS":                "vault",
		"ASTRAL_MASTER_KEY_FILE":    keyFile,
		"ASTRAL_VAULT_ADDR":         "http://127.0.0.1:8200/",
		"ASTRAL_VAULT_TOKEN":        "token",
		"ASTRAL_TRUSTED_PROXIES":    " 10.0.0.0/8, 192.168.1.7 ,,fd00::/8",
		"ASTRAL_MAX_BODY_BYTES":     "1024",
		"ASTRAL_SHUTDOWN_TIMEOUT":   "10m",
		"ASTRAL_ADMIN_ALLOW_REMOTE": "true",
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"Env", got.Env, Test},
		{"Addr", got.Addr, ":8443"},
		{"AdminAddr", got.AdminAddr, ""},
		{"AdminAllowRemote", got.AdminAllowRemote, true},
		{"PublicURL", got.PublicURL.String(), "http://localhost:8443"},
		{"Driver", got.Driver(), "postgres"},
		{"SQLitePath", got.SQLitePath(), ""},
		{"LogLevel", got.LogLevel, slog.LevelDebug},
		{"VaultAddr", got.VaultAddr.String(), "http://127.0.0.1:8200"},
		{"TrustedProxies", got.TrustedProxies, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8"),
		}},
		{"MaxBodyBytes", got.MaxBodyBytes, int64(1024)},
		{"ShutdownTimeout", got.ShutdownTimeout, 10 * time.Minute},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got, prefixComparer); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", c.name, diff)
		}
	}

	for raw, path := range map[string]string{"sqlite:/var/lib/astral.db": "/var/lib/astral.db", "file:x.db": "x.db"} {
		c := mustLoad(t, map[string]string{"ASTRAL_DATABASE_URL": raw})
		if c.Driver() != "sqlite" || c.SQLitePath() != path {
			t.Errorf("%s: Driver, SQLitePath = %q, %q; want sqlite, %q", raw, c.Driver(), c.SQLitePath(), path)
		}
	}
}

func TestLoadBadValues(t *testing.T) {
	dir := t.TempDir()
	shortKeyFile := filepath.Join(dir, "short.key")
	goodKeyFile := filepath.Join(dir, "good.key")
	if err := os.WriteFile(shortKeyFile, []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goodKeyFile, []byte(goodKey), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"unknown env", map[string]string{"ASTRAL_ENV": "prod"}, "ASTRAL_ENV", `"prod" is not one of development, production, test`},
		{"addr without port", map[string]string{"ASTRAL_ADDR": "localhost"}, "ASTRAL_ADDR", `"localhost" is not host:port (example: 127.0.0.1:8080)`},
		{"addr port range", map[string]string{"ASTRAL_ADDR": "127.0.0.1:99999"}, "ASTRAL_ADDR", "want a number from 0 to 65535"},
		{"addr named port", map[string]string{"ASTRAL_ADDR": "127.0.0.1:http"}, "ASTRAL_ADDR", `has port "http"`},
		{"admin remote", map[string]string{"ASTRAL_ADMIN_ADDR": "10.1.2.3:9090"}, "ASTRAL_ADMIN_ADDR", "is not a loopback address"},
		{"admin same as addr", map[string]string{"ASTRAL_ADMIN_ADDR": "127.0.0.1:8080"}, "ASTRAL_ADMIN_ADDR", "conflicts with ASTRAL_ADDR"},
		{"admin port on wildcard addr", map[string]string{"ASTRAL_ADDR": ":9090"}, "ASTRAL_ADMIN_ADDR", "needs its own port"},
		{"admin bad", map[string]string{"ASTRAL_ADMIN_ADDR": "on"}, "ASTRAL_ADMIN_ADDR", `"on" is not host:port`},
		{"admin allow remote", map[string]string{"ASTRAL_ADMIN_ALLOW_REMOTE": "yes"}, "ASTRAL_ADMIN_ALLOW_REMOTE", `"yes" is not true or false`},
		{"public url relative", map[string]string{"ASTRAL_PUBLIC_URL": "care.example.org"}, "ASTRAL_PUBLIC_URL", `"care.example.org" is not an absolute URL`},
		{"public url scheme", map[string]string{"ASTRAL_PUBLIC_URL": "ftp://care.example.org"}, "ASTRAL_PUBLIC_URL", "must start with https:// or http://"},
		{"public url query", map[string]string{"ASTRAL_PUBLIC_URL": "https://care.example.org/?a=b"}, "ASTRAL_PUBLIC_URL", "must not have a query or fragment"},
		{"public url fragment", map[string]string{"ASTRAL_PUBLIC_URL": "https://care.example.org/#x"}, "ASTRAL_PUBLIC_URL", "must not have a query or fragment"},
		{"public url userinfo", map[string]string{"ASTRAL_PUBLIC_URL": "https://u:p@care.example.org"}, "ASTRAL_PUBLIC_URL", "must not contain a user name or password"},
		{"public url no host", map[string]string{"ASTRAL_PUBLIC_URL": "https:///x"}, "ASTRAL_PUBLIC_URL", "has no host"},
		{"database scheme", map[string]string{"ASTRAL_DATABASE_URL": "mysql://db/astral"}, "ASTRAL_DATABASE_URL", "unsupported scheme"},
		{"database no host", map[string]string{"ASTRAL_DATABASE_URL": "postgres:///astral"}, "ASTRAL_DATABASE_URL", "has no host"},
		{"database no name", map[string]string{"ASTRAL_DATABASE_URL": "postgres://db.internal:5432"}, "ASTRAL_DATABASE_URL", "has no database name"},
		{"database bad url", map[string]string{"ASTRAL_DATABASE_URL": "postgres://u:p%zz@db/astral"}, "ASTRAL_DATABASE_URL", "is not a valid URL"},
		{"sqlite no path", map[string]string{"ASTRAL_DATABASE_URL": "sqlite:"}, "ASTRAL_DATABASE_URL", "names no SQLite file"},
		{"sqlite pragmas", map[string]string{"ASTRAL_DATABASE_URL": "file:x.db?_pragma=foreign_keys(0)"}, "ASTRAL_DATABASE_URL", "the store sets its own pragmas"},
		{"redis scheme", map[string]string{"ASTRAL_REDIS_URL": "http://redis.internal"}, "ASTRAL_REDIS_URL", "must start with rediss:// or redis://"},
		{"redis no host", map[string]string{"ASTRAL_REDIS_URL": "redis://"}, "ASTRAL_REDIS_URL", "has no host"},
		{"redis bad url", map[string]string{"ASTRAL_REDIS_URL": "redis://:p%zz@r"}, "ASTRAL_REDIS_URL", "is not a valid URL"},
		{"log level", map[string]string{"ASTRAL_LOG_LEVEL": "verbose"}, "ASTRAL_LOG_LEVEL", `"verbose" is not one of debug, info, warn, error`},
		{"kms", map[string]string{"ASTRAL_KMS": "aws"}, "ASTRAL_KMS", `"aws" is not one of local, vault`},
		{"master key not base64", map[string]string{"ASTRAL_MASTER_KEY": "not a key!"}, "ASTRAL_MASTER_KEY", "is not base64 of exactly 32 bytes"},
		{"master key short", map[string]string{"ASTRAL_MASTER_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))}, "ASTRAL_MASTER_KEY", "is not base64 of exactly 32 bytes"},
		{"master key file missing", map[string]string{"ASTRAL_MASTER_KEY_FILE": filepath.Join(dir, "nope")}, "ASTRAL_MASTER_KEY_FILE", "cannot be opened: no such file or directory"},
		{"master key file short", map[string]string{"ASTRAL_MASTER_KEY_FILE": shortKeyFile}, "ASTRAL_MASTER_KEY_FILE", "does not hold base64 of exactly 32 bytes"},
		{"master key file is a directory", map[string]string{"ASTRAL_MASTER_KEY_FILE": dir}, "ASTRAL_MASTER_KEY_FILE", "cannot be read"},
		{"master key and file", map[string]string{"ASTRAL_MASTER_KEY": goodKey, "ASTRAL_MASTER_KEY_FILE": goodKeyFile}, "ASTRAL_MASTER_KEY_FILE", "set only one"},
		{"vault needs addr", map[string]string{"ASTRAL_KMS": "vault", "ASTRAL_VAULT_TOKEN": "t"}, "ASTRAL_VAULT_ADDR", "is required when ASTRAL_KMS=vault"},
		{"vault needs token", map[string]string{"ASTRAL_KMS": "vault", "ASTRAL_VAULT_ADDR": "https://vault:8200"}, "ASTRAL_VAULT_TOKEN", "is required when ASTRAL_KMS=vault"},
		{"vault addr", map[string]string{"ASTRAL_VAULT_ADDR": "vault.internal"}, "ASTRAL_VAULT_ADDR", `"vault.internal" is not an absolute URL`},
		{"vault mount", map[string]string{"ASTRAL_VAULT_MOUNT": "/transit"}, "ASTRAL_VAULT_MOUNT", "is not a mount path"},
		{"vault key", map[string]string{"ASTRAL_VAULT_KEY": "a/b"}, "ASTRAL_VAULT_KEY", "is not a key name"},
		{"proxy host bits", map[string]string{"ASTRAL_TRUSTED_PROXIES": "10.0.0.1/8"}, "ASTRAL_TRUSTED_PROXIES", `"10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?`},
		{"proxy bad cidr", map[string]string{"ASTRAL_TRUSTED_PROXIES": "10.0.0.0/33"}, "ASTRAL_TRUSTED_PROXIES", `"10.0.0.0/33" is not a CIDR`},
		{"proxy bad ip", map[string]string{"ASTRAL_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "ASTRAL_TRUSTED_PROXIES", `"proxy.internal" is not an IP address or CIDR`},
		{"body not number", map[string]string{"ASTRAL_MAX_BODY_BYTES": "1MB"}, "ASTRAL_MAX_BODY_BYTES", `"1MB" is not a whole number of bytes`},
		{"body too small", map[string]string{"ASTRAL_MAX_BODY_BYTES": "1023"}, "ASTRAL_MAX_BODY_BYTES", "1023 is outside the allowed range 1024 (1 KiB) to 1073741824 (1 GiB)"},
		{"body too large", map[string]string{"ASTRAL_MAX_BODY_BYTES": "1073741825"}, "ASTRAL_MAX_BODY_BYTES", "is outside the allowed range"},
		{"shutdown not duration", map[string]string{"ASTRAL_SHUTDOWN_TIMEOUT": "30"}, "ASTRAL_SHUTDOWN_TIMEOUT", `"30" is not a duration`},
		{"shutdown too long", map[string]string{"ASTRAL_SHUTDOWN_TIMEOUT": "1h"}, "ASTRAL_SHUTDOWN_TIMEOUT", "1h0m0s is outside the allowed range 1s to 10m0s"},
		{"shutdown too short", map[string]string{"ASTRAL_SHUTDOWN_TIMEOUT": "500ms"}, "ASTRAL_SHUTDOWN_TIMEOUT", "is outside the allowed range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	ps := problemsOf(t, map[string]string{
		"ASTRAL_ENV":              "staging",
		"ASTRAL_ADDR":             "localhost",
		"ASTRAL_ADMIN_ADDR":       "0.0.0.0:9090",
		"ASTRAL_PUBLIC_URL":       "example.org",
		"ASTRAL_DATABASE_URL":     "mysql://db",
		"ASTRAL_REDIS_URL":        "memcached://x",
		"ASTRAL_LOG_LEVEL":        "loud",
		"ASTRAL_KMS":              "hsm",
		"ASTRAL_MASTER_KEY":       "abc",
		"ASTRAL_TRUSTED_PROXIES":  "nope,10.0.0.1/8",
		"ASTRAL_MAX_BODY_BYTES":   "-1",
		"ASTRAL_SHUTDOWN_TIMEOUT": "forever",
	})
	var vars []string
	for _, p := range ps {
		vars = append(vars, p.Var)
	}
	want := []string{
		"ASTRAL_ADDR", "ASTRAL_ADMIN_ADDR", "ASTRAL_DATABASE_URL", "ASTRAL_ENV", "ASTRAL_KMS",
		"ASTRAL_LOG_LEVEL", "ASTRAL_MASTER_KEY", "ASTRAL_MAX_BODY_BYTES", "ASTRAL_PUBLIC_URL",
		"ASTRAL_REDIS_URL", "ASTRAL_SHUTDOWN_TIMEOUT", "ASTRAL_TRUSTED_PROXIES", "ASTRAL_TRUSTED_PROXIES",
	}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("problem variables (sorted) mismatch (-want +got):\n%s\n%v", diff, ps)
	}
	msg := ps.Error()
	if !strings.HasPrefix(msg, "configuration has 13 problems:\n  ASTRAL_ADDR: ") {
		t.Errorf("Error() = %q, want it to start with the count and then ASTRAL_ADDR", msg)
	}
	if n := strings.Count(msg, "\n  ASTRAL_"); n != 13 {
		t.Errorf("Error() has %d problem lines, want 13:\n%s", n, msg)
	}
}

func TestProblemsError(t *testing.T) {
	ps := Problems{{"ASTRAL_B", "y"}, {"ASTRAL_A", "z"}, {"ASTRAL_B", "x"}}
	want := "configuration has 3 problems:\n  ASTRAL_A: z\n  ASTRAL_B: x\n  ASTRAL_B: y"
	if got := ps.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (Problems{{"ASTRAL_A", "z"}}).Error(), "configuration has 1 problem:\n  ASTRAL_A: z"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
