// Package testenv tells tests which external components they may use.
//
// Tests that need PostgreSQL, Redis or Chromium call the functions here. On a
// developer's machine without those components the test is skipped with a
// one-line reason. With ASTRAL_TEST_STRICT=1 (as .ci/run sets) a missing
// component fails the test instead, so CI can never pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Environment variables read by this package.
const (
	EnvStrict   = "ASTRAL_TEST_STRICT"       // "1": a skip is a failure
	EnvPostgres = "ASTRAL_TEST_POSTGRES_URL" // server URL; tests create their own databases
	EnvRedis    = "ASTRAL_TEST_REDIS_URL"    // e.g. redis://127.0.0.1:6379/0
	EnvChromium = "ASTRAL_TEST_CHROMIUM"     // path to a Chromium binary
	EnvAxe      = "ASTRAL_TEST_AXE"          // path to axe.min.js
)

// Strict reports whether skipping is forbidden.
func Strict() bool { return os.Getenv(EnvStrict) == "1" }

// Skip skips the test with reason, or fails it in strict mode.
func Skip(tb testing.TB, reason string) {
	tb.Helper()
	if Strict() {
		tb.Fatalf("%s (%s=1 forbids skipping)", reason, EnvStrict)
	}
	tb.Skip(reason)
}

// PostgresURL returns the URL of the PostgreSQL server for tests, or skips.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		Skip(tb, "PostgreSQL test skipped: "+EnvPostgres+" is not set")
	}
	return u
}

// RedisURL returns the URL of the Redis server for tests, or skips.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvRedis)
	if u == "" {
		Skip(tb, "Redis test skipped: "+EnvRedis+" is not set")
	}
	return u
}

// Chromium returns the path of a Chromium binary, or skips. It uses
// ASTRAL_TEST_CHROMIUM, else "chromium" on PATH.
func Chromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Skip(tb, "browser test skipped: no chromium on PATH and "+EnvChromium+" is not set")
	return ""
}

// Axe returns the path of axe.min.js, or skips. It uses ASTRAL_TEST_AXE, else
// node_modules/axe-core/axe.min.js at the module root (npm ci installs it).
func Axe(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvAxe); p != "" {
		return p
	}
	p := filepath.Join(ModuleRoot(tb), "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	Skip(tb, "accessibility test skipped: axe-core not installed (run npm ci) and "+EnvAxe+" is not set")
	return ""
}

// ModuleRoot returns the repository root (the directory holding go.mod).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("testenv: cannot locate source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
