package config

import (
	"strings"
	"testing"
)

// goodProduction is a complete, acceptable production environment.
var goodProduction = map[string]string{
	"ASTRAL_ENV":               "production",
	"ASTRAL_ADDR":              "0.0.0.0:8080",
	"ASTRAL_PUBLIC_URL":        "https://care.example.org/",
	"ASTRAL_DATABASE_URL":      "postgres://astral:pw@db.internal:5432/astral?sslmode=verify-full",
	"ASTRAL_KEYS_DATABASE_URL": "postgres://astral:pw@keys.internal:5432/astral_keys?sslmode=verify-full",
	"ASTRAL_REDIS_URL":         "rediss://:pw@redis.internal:6379/0",
	"ASTRAL_MASTER_KEY":        goodKey,
	"ASTRAL_TRUSTED_PROXIES":   "10.0.0.0/8",
	"ASTRAL_AUDIT_SIGNING_KEY": goodKey,
	"ASTRAL_SMTP_HOST":         "smtp.example.org",
	"ASTRAL_SMTP_USERNAME":     "astral",
	"ASTRAL_SMTP_PASSWORD":     "pw",
	"ASTRAL_SMTP_FROM":         "Astral Core <noreply@care.example.org>",
}

func TestProductionLoads(t *testing.T) {
	c := mustLoad(t, goodProduction)
	if !c.IsProduction() || c.Driver() != "postgres" || c.PublicURL.String() != "https://care.example.org" {
		t.Errorf("IsProduction, Driver, PublicURL = %v, %q, %q", c.IsProduction(), c.Driver(), c.PublicURL)
	}

	// Settings that production allows but might look risky.
	for name, m := range map[string]map[string]string{
		"verify-ca":         with(goodProduction, "ASTRAL_DATABASE_URL", "postgresql://astral@db.internal/astral?sslmode=verify-ca"),
		"sqlite":            with(goodProduction, "ASTRAL_DATABASE_URL", ""),
		"redis on loopback": with(goodProduction, "ASTRAL_REDIS_URL", "redis://127.0.0.1:6379"),
		"no redis":          with(goodProduction, "ASTRAL_REDIS_URL", ""),
		"key file":          with(goodProduction, "ASTRAL_MASTER_KEY", "", "ASTRAL_MASTER_KEY_FILE", writeKeyFile(t, goodKey)),
		"vault": with(goodProduction, "ASTRAL_MASTER_KEY", "", "ASTRAL_KMS", "vault",
			"ASTRAL_VAULT_ADDR", "https://vault.internal:8200", "ASTRAL_VAULT_TOKEN", "t"),
	} {
		if _, err := Load(env(m)); err != nil {
			t.Errorf("%s: Load: %v", name, err)
		}
	}
}

func TestProductionRefusals(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"http public url", with(goodProduction, "ASTRAL_PUBLIC_URL", "http://care.example.org"), "ASTRAL_PUBLIC_URL", "production needs https://"},
		{"default public url", with(goodProduction, "ASTRAL_PUBLIC_URL", ""), "ASTRAL_PUBLIC_URL", "production needs https://"},
		{"sslmode missing", with(goodProduction, "ASTRAL_DATABASE_URL", "postgres://astral:pw@db.internal/astral"), "ASTRAL_DATABASE_URL", "database TLS is not verified"},
		{"sslmode disable", with(goodProduction, "ASTRAL_DATABASE_URL", "postgres://astral:pw@db.internal/astral?sslmode=disable"), "ASTRAL_DATABASE_URL", "database TLS is not verified"},
		{"sslmode allow", with(goodProduction, "ASTRAL_DATABASE_URL", "postgres://astral:pw@db.internal/astral?sslmode=allow"), "ASTRAL_DATABASE_URL", "database TLS is not verified"},
		{"sslmode prefer", with(goodProduction, "ASTRAL_DATABASE_URL", "postgres://astral:pw@db.internal/astral?sslmode=prefer"), "ASTRAL_DATABASE_URL", "database TLS is not verified"},
		{"sslmode require", with(goodProduction, "ASTRAL_DATABASE_URL", "postgres://astral:pw@db.internal/astral?sslmode=require"), "ASTRAL_DATABASE_URL", "database TLS is not verified"},
		{"development keys", with(goodProduction, "ASTRAL_MASTER_KEY", ""), "ASTRAL_MASTER_KEY",
			"production needs ASTRAL_MASTER_KEY or ASTRAL_MASTER_KEY_FILE (development keys are refused)"},
		{"http vault", with(goodProduction, "ASTRAL_MASTER_KEY", "", "ASTRAL_KMS", "vault",
			"ASTRAL_VAULT_ADDR", "http://vault.internal:8200", "ASTRAL_VAULT_TOKEN", "t"), "ASTRAL_VAULT_ADDR", "production needs https://"},
		{"plain redis over network", with(goodProduction, "ASTRAL_REDIS_URL", "redis://redis.internal:6379"), "ASTRAL_REDIS_URL", "production needs rediss://"},
		{"trust every proxy", with(goodProduction, "ASTRAL_TRUSTED_PROXIES", "0.0.0.0/0"), "ASTRAL_TRUSTED_PROXIES", "trusts X-Forwarded-For from every client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
			// The same settings are fine outside production.
			if _, err := Load(env(with(tt.env, "ASTRAL_ENV", "development"))); err != nil {
				t.Errorf("in development: %v", err)
			}
		})
	}
}
