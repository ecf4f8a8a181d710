package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canary is planted in every secret; no output may contain it.
const canary = "s3cr3t-canary-XYZ"

// canaryKey is a valid master key whose text contains the canary: 43
// characters of unpadded URL-safe base64 encode exactly 32 bytes.
var canaryKey = canary + strings.Repeat("A", 43-len(canary))

func writeKeyFile(tb testing.TB, contents string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// renderings returns v as every way code might print, encode or log it.
func renderings(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
	}
	out["fmt.Sprint"] = fmt.Sprint(v)
	out["fmt.Sprintln"] = fmt.Sprintln(v)
	if b, err := json.Marshal(v); err != nil {
		t.Errorf("json.Marshal(%T): %v", v, err)
	} else {
		out["json"] = string(b)
	}
	if b, err := json.Marshal(map[string]any{"v": v}); err == nil {
		out["json nested"] = string(b)
	}
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		logger := slog.New(newHandler(&buf))
		logger.Info("msg", slog.Any("cfg", v))
		logger.Info("msg", "v", v)
		logger.With("w", v).Info("msg", slog.Group("g", "v", v))
		out[name] = buf.String()
	}
	return out
}

func assertNoCanary(t *testing.T, what string, renders map[string]string) {
	t.Helper()
	for how, s := range renders {
		if strings.Contains(s, canary) || strings.Contains(s, "canary") {
			t.Errorf("%s via %s leaks the secret:\n%s", what, how, s)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(canary)
	if s.Reveal() != canary {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
	assertNoCanary(t, "Secret", renderings(t, s))
	assertNoCanary(t, "*Secret", renderings(t, &s))
	assertNoCanary(t, "[]Secret", renderings(t, []Secret{s}))
	if b, _ := s.MarshalText(); string(b) != redacted {
		t.Errorf("MarshalText() = %q", b)
	}
	if got := fmt.Sprintf("%q", s); got != `"[redacted]"` {
		t.Errorf(`%%q = %s, want "[redacted]"`, got)
	}
	if Secret("").Describe() != "[not set]" || s.Describe() != "[set]" {
		t.Errorf("Describe() = %q, %q", Secret("").Describe(), s.Describe())
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"postgres and local key": {
			"ASTRAL_DATABASE_URL":  "postgres://astral:" + canary + "@db.internal:5432/astral?sslmode=verify-full",
			"ASTRAL_REDIS_URL":     "rediss://:" + canary + "@redis.internal:6379/0",
			"ASTRAL_MASTER_KEY":    canaryKey,
			"ASTRAL_VAULT_TOKEN":   canary,
			"ASTRAL_SMTP_HOST":     "smtp.example.org",
			"ASTRAL_SMTP_USERNAME": "astral",
			"ASTRAL_SMTP_PASSWORD": canary,
			"ASTRAL_SMTP_FROM":     "noreply@care.example.org",
		},
		"production vault": {
			"ASTRAL_ENV":               "production",
			"ASTRAL_PUBLIC_URL":        "https://care.example.org",
			"ASTRAL_DATABASE_URL":      "postgresql://" + canary + ":" + canary + "@db.internal/astral?sslmode=verify-ca&password=" + canary,
			"ASTRAL_KEYS_DATABASE_URL": "postgresql://" + canary + ":" + canary + "@keys.internal/keys?sslmode=verify-ca",
			"ASTRAL_REDIS_URL":         "redis://" + canary + "@127.0.0.1:6379",
			"ASTRAL_KMS":               "vault",
			"ASTRAL_VAULT_ADDR":        "https://vault.internal:8200",
			"ASTRAL_VAULT_TOKEN":       canary,
			"ASTRAL_AUDIT_SIGNING_KEY": canaryKey,
			"ASTRAL_SMTP_HOST":         "smtp.example.org",
			"ASTRAL_SMTP_USERNAME":     "astral",
			"ASTRAL_SMTP_PASSWORD":     canary,
			"ASTRAL_SMTP_FROM":         "noreply@care.example.org",
		},
		"sqlite path": {"ASTRAL_DATABASE_URL": "sqlite:/srv/" + canary + ".db"},
	} {
		t.Run(name, func(t *testing.T) {
			c := mustLoad(t, m)
			if !strings.Contains(c.DatabaseURL.Reveal(), canary) {
				t.Fatal("the canary did not reach the Config; this test would prove nothing")
			}
			assertNoCanary(t, "*Config", renderings(t, c))
			assertNoCanary(t, "Config", renderings(t, *c))
			assertNoCanary(t, "Settings()", renderings(t, c.Settings()))
			for _, s := range c.Settings() {
				if s.Secret && s.Value != "[set]" && s.Value != "[not set]" {
					t.Errorf("secret %s shows %q, want [set] or [not set]", s.Var, s.Value)
				}
			}
		})
	}
}

func TestProblemsNeverPrintSecrets(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"malformed": {
			"ASTRAL_DATABASE_URL":    "postgres://u:" + canary + "%zz@db/astral",
			"ASTRAL_REDIS_URL":       "redis://:" + canary + "@",
			"ASTRAL_MASTER_KEY":      canary,
			"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, canary),
			"ASTRAL_KMS":             "vault",
			"ASTRAL_VAULT_TOKEN":     canary,
			"ASTRAL_SMTP_PASSWORD":   canary, // without a username
		},
		"wrong schemes": {
			"ASTRAL_DATABASE_URL": "mysql://u:" + canary + "@db/astral",
			"ASTRAL_REDIS_URL":    "memcached://:" + canary + "@cache",
			"ASTRAL_MASTER_KEY":   canary + "==",
			"ASTRAL_PUBLIC_URL":   "https://u:" + canary + "@care.example.org",
			"ASTRAL_VAULT_ADDR":   "http://u:" + canary + "@vault",
		},
		"missing parts": {
			"ASTRAL_DATABASE_URL": "postgres://u:" + canary + "@/",
			"ASTRAL_REDIS_URL":    "http://" + canary,
			"ASTRAL_PUBLIC_URL":   "//u:" + canary + "@x/",
		},
		"production refusals": {
			"ASTRAL_ENV":           "production",
			"ASTRAL_DATABASE_URL":  "postgres://u:" + canary + "@db/astral?sslmode=require",
			"ASTRAL_REDIS_URL":     "redis://:" + canary + "@redis.internal",
			"ASTRAL_KMS":           "vault",
			"ASTRAL_VAULT_ADDR":    "http://vault.internal",
			"ASTRAL_VAULT_TOKEN":   canary,
			"ASTRAL_SMTP_HOST":     "smtp.example.org",
			"ASTRAL_SMTP_TLS":      "none",
			"ASTRAL_SMTP_USERNAME": "astral",
			"ASTRAL_SMTP_PASSWORD": canary,
		},
		"sqlite query": {"ASTRAL_DATABASE_URL": "sqlite:x.db?key=" + canary},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(m))
			if err == nil {
				t.Fatal("Load succeeded, want problems")
			}
			ps := problemsOf(t, m)
			for _, v := range []string{"ASTRAL_DATABASE_URL", "ASTRAL_REDIS_URL", "ASTRAL_SMTP_PASSWORD"} {
				if m[v] != "" && !hasVar(ps, v) {
					t.Errorf("no problem reported for %s; the test does not exercise it", v)
				}
			}
			renders := renderings(t, err)
			renders["Error()"] = err.Error()
			for i, p := range ps {
				renders[fmt.Sprint("problem ", i)] = p.String()
			}
			assertNoCanary(t, "Load error", renders)
		})
	}
}

func hasVar(ps Problems, name string) bool {
	for _, p := range ps {
		if p.Var == name {
			return true
		}
	}
	return false
}
