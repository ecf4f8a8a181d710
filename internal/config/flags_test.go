package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestAddFlags(t *testing.T) {
	fs := flag.NewFlagSet("astral", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	getenv := AddFlags(fs, env(map[string]string{
		"ASTRAL_ENV":       "development",
		"ASTRAL_ADDR":      "127.0.0.1:1111",
		"ASTRAL_LOG_LEVEL": "debug",
		"ASTRAL_KMS":       "local",
	}))
	// The lookup is made before Parse and must still see the parsed flags.
	if err := fs.Parse([]string{"--addr", "127.0.0.1:2222", "-env=test", "--data-dir="}); err != nil {
		t.Fatal(err)
	}

	for name, want := range map[string]string{
		"ASTRAL_ADDR":      "127.0.0.1:2222", // flag wins over env
		"ASTRAL_ENV":       "test",           // flag wins over env
		"ASTRAL_LOG_LEVEL": "debug",          // flag not set: env
		"ASTRAL_KMS":       "local",          // no such flag: env
		"ASTRAL_DATA_DIR":  "",               // set empty: "not set", so the default
		"ASTRAL_REDIS_URL": "",               // neither
	} {
		if got := getenv(name); got != want {
			t.Errorf("getenv(%q) = %q, want %q", name, got, want)
		}
	}

	c := mustLoadFunc(t, getenv)
	if c.Addr != "127.0.0.1:2222" || c.Env != Test || c.LogLevel.String() != "DEBUG" || c.DataDir != "./data" {
		t.Errorf("Load(flags) = Addr %q, Env %q, LogLevel %v, DataDir %q", c.Addr, c.Env, c.LogLevel, c.DataDir)
	}

	for _, f := range flagVars {
		fl := fs.Lookup(f.flag)
		if fl == nil {
			t.Errorf("flag --%s not registered", f.flag)
			continue
		}
		if !strings.Contains(fl.Usage, f.env) {
			t.Errorf("--%s usage %q does not name %s", f.flag, fl.Usage, f.env)
		}
	}
	if n := len(flagVars); n != 7 {
		t.Errorf("%d flags registered, want 7", n)
	}
}

func mustLoadFunc(tb testing.TB, getenv func(string) string) *Config {
	tb.Helper()
	c, err := Load(getenv)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}
