package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysDatabase(t *testing.T) {
	const pg = "postgres://astral:pw@db.internal:5432/astral?sslmode=disable"
	const keysPG = "postgres://keys:pw@keys.internal/astral_keys?sslmode=disable"
	tests := []struct {
		name        string
		env         map[string]string
		driver, dsn string
		shared      bool
	}{
		{"sqlite default", nil, "sqlite", filepath.Join("data", "keys.db"), false},
		{"sqlite in the data dir", map[string]string{"ASTRAL_DATA_DIR": "/srv/astral", "ASTRAL_DATABASE_URL": "sqlite:/other/a.db"},
			"sqlite", filepath.Join("/srv/astral", "keys.db"), false},
		{"sqlite named", map[string]string{"ASTRAL_KEYS_DATABASE_URL": "file:/secure/keys.db"}, "sqlite", "/secure/keys.db", false},
		{"postgres named", map[string]string{"ASTRAL_DATABASE_URL": pg, "ASTRAL_KEYS_DATABASE_URL": keysPG}, "postgres", keysPG, false},
		{"postgres falls back in development", map[string]string{"ASTRAL_DATABASE_URL": pg}, "postgres", pg, true},
		{"postgres named alike in development", map[string]string{"ASTRAL_DATABASE_URL": pg,
			"ASTRAL_KEYS_DATABASE_URL": "postgresql://other@DB.internal/astral"}, "postgres", "postgresql://other@DB.internal/astral", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env)
			driver, dsn, shared := c.KeysDatabase()
			if driver != tt.driver || dsn != tt.dsn || shared != tt.shared {
				t.Errorf("KeysDatabase() = %q, %q, %v; want %q, %q, %v", driver, dsn, shared, tt.driver, tt.dsn, tt.shared)
			}
		})
	}
}

func TestKeysDatabaseProblems(t *testing.T) {
	const name = "ASTRAL_KEYS_DATABASE_URL"
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"production postgres without keystore", with(goodProduction, name, ""), "is required in production with PostgreSQL"},
		{"production same database", with(goodProduction, name, "postgres://other:pw@DB.internal:5432/astral?sslmode=verify-full"),
			"names the same database as ASTRAL_DATABASE_URL"},
		{"production same database, default port", with(goodProduction, name, "postgres://db.internal/astral?sslmode=verify-full"),
			"names the same database as ASTRAL_DATABASE_URL"},
		{"production unverified TLS", with(goodProduction, name, "postgres://k@keys.internal/keys?sslmode=require"),
			"database TLS is not verified"},
		{"production sqlite beside postgres", with(goodProduction, name, "sqlite:/srv/keys.db"), "must be a postgres:// URL"},
		{"bad scheme", map[string]string{name: "mysql://db/keys"}, "unsupported scheme"},
		{"no host", map[string]string{name: "postgres:///keys"}, "has no host"},
		{"no database", map[string]string{name: "postgres://keys.internal"}, "has no database name"},
		{"bad url", map[string]string{name: "postgres://u:p%zz@db/keys"}, "is not a valid URL"},
		{"sqlite no path", map[string]string{name: "sqlite:"}, "names no SQLite file"},
		{"sqlite pragmas", map[string]string{name: "sqlite:k.db?_pragma=secure_delete(0)"}, "the store sets its own pragmas"},
		{"sqlite same file", map[string]string{"ASTRAL_DATABASE_URL": "sqlite:./data/a.db", name: "file:data/a.db"},
			"names the same SQLite file"},
		{"sqlite same as default file", map[string]string{name: "sqlite:data/astral.db"}, "names the same SQLite file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			var got []string
			for _, p := range ps {
				if p.Var == name && strings.Contains(p.Msg, tt.want) {
					got = append(got, p.Msg)
				}
			}
			if len(got) != 1 {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, name, tt.want)
			}
		})
	}
	// A keystore of its own on another server, or the same server, passes.
	// (Only this variable's problems count: other settings' production
	// rules are tested elsewhere.)
	for _, keys := range []string{
		"postgres://k:pw@keys.internal/astral?sslmode=verify-full",
		"postgres://astral:pw@db.internal:5432/astral_keys?sslmode=verify-ca",
		"postgres://astral:pw@db.internal:5433/astral?sslmode=verify-full",
	} {
		if _, err := Load(env(with(goodProduction, name, keys))); err != nil && strings.Contains(err.Error(), name) {
			t.Errorf("keystore %s refused: %v", keys, err)
		}
	}
}

// TestKeysDatabaseNeverPrints checks that neither the Config nor a problem
// message shows the keystore URL's password.
func TestKeysDatabaseNeverPrints(t *testing.T) {
	const secret = "keys-canary-pw"
	c := mustLoad(t, map[string]string{"ASTRAL_KEYS_DATABASE_URL": "postgres://k:" + secret + "@keys.internal/keys"})
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, secret) {
		t.Errorf("Config printed the keystore password: %s", s)
	}
	for _, raw := range []string{
		"postgres://k:" + secret + "%zz@keys/keys",
		"mysql://k:" + secret + "@keys/keys",
		"postgres://k:" + secret + "@/",
		"sqlite:k.db?key=" + secret,
	} {
		ps := problemsOf(t, map[string]string{"ASTRAL_KEYS_DATABASE_URL": raw})
		if strings.Contains(ps.Error(), secret) {
			t.Errorf("problem printed the keystore password: %s", ps.Error())
		}
	}
	ps := problemsOf(t, with(goodProduction, "ASTRAL_KEYS_DATABASE_URL", "postgres://k:"+secret+"@db.internal/astral?sslmode=require"))
	if strings.Contains(ps.Error(), secret) {
		t.Errorf("problem printed the keystore password: %s", ps.Error())
	}
}
