package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/store/storetest"
	"github.com/astralcore/astral/internal/testenv"
)

// output is a concurrency-safe writer that lets a test wait for a line.
type output struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.Write(p)
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// waitFor waits until re matches the output and returns the first group.
func (o *output) waitFor(t testing.TB, re *regexp.Regexp, done <-chan error) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m[1]
		}
		select {
		case <-o.changed:
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, o.String())
		case <-deadline:
			t.Fatalf("timed out waiting for %s in:\n%s", re, o.String())
		}
	}
}

// instance is a server started through run, as a person would start it.
type instance struct {
	URL      string
	AdminURL string
	Stdout   *output
	Stderr   *output
	stop     func() error
}

var (
	listenRe = regexp.MustCompile(`listening on (http://[0-9.:\[\]]+)`)
	adminRe  = regexp.MustCompile(`Admin listener \(metrics\) on (http://[0-9.:\[\]]+)/metrics`)
)

// startServer runs `astral serve` with env on random ports and waits until
// /health/ready answers 200. The server is stopped on cleanup, and the test
// fails if it does not shut down cleanly.
func startServer(t testing.TB, env map[string]string) *instance {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["ASTRAL_DATA_DIR"]; !ok {
		env["ASTRAL_DATA_DIR"] = t.TempDir()
	}
	env["ASTRAL_ADDR"] = "127.0.0.1:0"
	if _, ok := env["ASTRAL_ADMIN_ADDR"]; !ok {
		env["ASTRAL_ADMIN_ADDR"] = "127.0.0.1:0"
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newOutput(), newOutput()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"astral", "serve"}, getenv, stdout, stderr) }()
	inst := &instance{Stdout: stdout, Stderr: stderr}
	inst.URL = stdout.waitFor(t, listenRe, done)
	if env["ASTRAL_ADMIN_ADDR"] != "off" {
		inst.AdminURL = stdout.waitFor(t, adminRe, done)
	}
	var once sync.Once
	var stopErr error
	inst.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("server did not stop within 30s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := inst.stop(); err != nil {
			t.Errorf("serve returned %v on shutdown", err)
		}
	})
	waitReady(t, inst.URL)
	return inst
}

func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/health/ready never answered 200", base)
}

func get(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestServeOnSQLite(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})

	res, body := get(t, inst.URL+"/")
	if res.StatusCode != 200 || !strings.Contains(body, "Astral Core") {
		t.Fatalf("home page: %d", res.StatusCode)
	}
	res, body = get(t, inst.URL+"/health/ready")
	if res.StatusCode != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("ready: %d %s", res.StatusCode, body)
	}
	res, _ = get(t, inst.URL+"/api/v1/openapi.json")
	if res.StatusCode != 200 {
		t.Errorf("openapi.json: %d", res.StatusCode)
	}
	// Metrics only on the admin listener.
	if res, _ := get(t, inst.URL+"/metrics"); res.StatusCode != 404 {
		t.Errorf("public /metrics: %d, want 404", res.StatusCode)
	}
	res, body = get(t, inst.AdminURL+"/metrics")
	if res.StatusCode != 200 || !strings.Contains(body, `astral_http_requests_total{code="200",method="GET",route="GET /{$}"}`) || !strings.Contains(body, `astral_db_open_connections{db="main"}`) {
		t.Errorf("admin metrics: %d\n%.2000s", res.StatusCode, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "astral.db")); err != nil {
		t.Errorf("SQLite file not under ASTRAL_DATA_DIR: %v", err)
	}
	if err := inst.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// Access log lines are JSON with route templates.
	if logs := inst.Stderr.String(); !strings.Contains(logs, `"route":"GET /health/ready"`) || !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("logs lack access or stop lines:\n%.3000s", logs)
	}
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	inst := startServer(t, nil)
	// Hold a request open: a slow upload to a route that reads its body.
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", inst.URL+"/language", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	type result struct {
		status int
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noRedirect.Do(req)
		if err != nil {
			resc <- result{err: err}
			return
		}
		res.Body.Close()
		resc <- result{status: res.StatusCode}
	}()
	if _, err := pw.Write([]byte("lang=de")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the request is now in flight
	stopped := make(chan error, 1)
	go func() { stopped <- inst.stop() }()
	time.Sleep(200 * time.Millisecond) // shutdown has begun
	if _, err := pw.Write([]byte("&return=/")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-resc
	if r.err != nil || r.status != http.StatusSeeOther {
		t.Errorf("in-flight request during shutdown: status %d, err %v", r.status, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, err := http.Get(inst.URL + "/health/live"); err == nil {
		t.Errorf("server still accepts connections after shutdown")
	}
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	runCmd := func(env map[string]string, args ...string) (string, string, error) {
		stdout, stderr := newOutput(), newOutput()
		err := run(ctx, append([]string{"astral"}, args...), func(k string) string { return env[k] }, stdout, stderr)
		return stdout.String(), stderr.String(), err
	}
	exitCode := func(err error) int {
		var ex *exitError
		if errors.As(err, &ex) {
			return ex.code
		}
		if err != nil {
			return 1
		}
		return 0
	}

	t.Run("help lists every command", func(t *testing.T) {
		out, _, err := runCmd(nil, "--help")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range commands() {
			if !regexp.MustCompile(`(?m)^  ` + c.name + ` +\S`).MatchString(out) {
				t.Errorf("help lacks a line for %q:\n%s", c.name, out)
			}
		}
	})
	t.Run("no command is a usage error", func(t *testing.T) {
		if _, _, err := runCmd(nil); exitCode(err) != 2 {
			t.Errorf("exit %d, want 2", exitCode(err))
		}
		if _, _, err := runCmd(nil, "frobnicate"); exitCode(err) != 2 {
			t.Errorf("unknown command: exit %d, want 2", exitCode(err))
		}
	})
	t.Run("version", func(t *testing.T) {
		out, _, err := runCmd(nil, "version")
		if err != nil || !strings.HasPrefix(out, "astral ") {
			t.Errorf("version: %q %v", out, err)
		}
	})
	t.Run("config check lists every problem and no secret", func(t *testing.T) {
		env := map[string]string{
			"ASTRAL_ENV":          "production",
			"ASTRAL_ADDR":         "nonsense",
			"ASTRAL_LOG_LEVEL":    "loud",
			"ASTRAL_DATABASE_URL": "postgres://app:canary-pw-123@db.internal/astral?sslmode=disable",
			"ASTRAL_MASTER_KEY":   "canary-not-base64",
		}
		out, _, err := runCmd(env, "config", "check")
		if exitCode(err) != 2 {
			t.Fatalf("exit %d, want 2 (%v)", exitCode(err), err)
		}
		var ex *exitError
		errors.As(err, &ex)
		msg := out + ex.msg
		for _, v := range []string{"ASTRAL_ADDR", "ASTRAL_LOG_LEVEL", "ASTRAL_DATABASE_URL", "ASTRAL_MASTER_KEY"} {
			if !strings.Contains(msg, v) {
				t.Errorf("problem list lacks %s:\n%s", v, msg)
			}
		}
		if strings.Contains(msg, "canary") {
			t.Errorf("a secret was printed:\n%s", msg)
		}
	})
	t.Run("config check prints settings without secrets", func(t *testing.T) {
		env := map[string]string{"ASTRAL_MASTER_KEY": "Y2FuYXJ5LWNhbmFyeS1jYW5hcnktY2FuYXJ5LTEyMzQ=", "ASTRAL_DATA_DIR": t.TempDir()}
		out, _, err := runCmd(env, "config", "check")
		if err != nil {
			t.Fatalf("config check: %v", err)
		}
		if !strings.Contains(out, "Configuration is valid") || !strings.Contains(out, "ASTRAL_MASTER_KEY") || strings.Contains(out, env["ASTRAL_MASTER_KEY"]) {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("migrate applies then reports up to date", func(t *testing.T) {
		env := map[string]string{"ASTRAL_DATA_DIR": t.TempDir()}
		out, _, err := runCmd(env, "migrate")
		if err != nil || !strings.Contains(out, "Applied") {
			t.Fatalf("first migrate: %q %v", out, err)
		}
		out, _, err = runCmd(env, "migrate")
		if err != nil || !strings.Contains(out, "up to date") {
			t.Errorf("second migrate: %q %v", out, err)
		}
	})
	t.Run("flags override the environment", func(t *testing.T) {
		dir := t.TempDir()
		out, _, err := runCmd(map[string]string{"ASTRAL_DATA_DIR": "/nonexistent/should-not-be-used"}, "migrate", "--data-dir", dir)
		if err != nil {
			t.Fatalf("migrate --data-dir: %q %v", out, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "astral.db")); err != nil {
			t.Errorf("--data-dir ignored: %v", err)
		}
	})
	t.Run("bad flag is a usage error", func(t *testing.T) {
		if _, _, err := runCmd(nil, "serve", "--no-such-flag"); exitCode(err) != 2 {
			t.Errorf("exit %d, want 2", exitCode(err))
		}
	})
	t.Run("port in use is a clear error", func(t *testing.T) {
		inst := startServer(t, map[string]string{"ASTRAL_ADMIN_ADDR": "off"})
		addr := strings.TrimPrefix(inst.URL, "http://")
		_, _, err := runCmd(map[string]string{"ASTRAL_DATA_DIR": t.TempDir(), "ASTRAL_ADDR": addr, "ASTRAL_ADMIN_ADDR": "off"}, "serve")
		if err == nil || !strings.Contains(err.Error(), "ASTRAL_ADDR") {
			t.Errorf("err = %v, want a listen error naming ASTRAL_ADDR", err)
		}
	})
}

func TestServeOnPostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	inst := startServer(t, map[string]string{"ASTRAL_DATABASE_URL": dsn})
	res, body := get(t, inst.URL+"/health/ready")
	if res.StatusCode != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("ready on PostgreSQL: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, inst.URL+"/"); res.StatusCode != 200 {
		t.Errorf("home on PostgreSQL: %d", res.StatusCode)
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	if logs := inst.Stderr.String(); !strings.Contains(logs, `"db":"postgres"`) {
		t.Errorf("server did not run on PostgreSQL:\n%.2000s", logs)
	}
}

func TestReadinessNamesRedis(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	inst := startServer(t, map[string]string{"ASTRAL_REDIS_URL": redisURL})
	if res, body := get(t, inst.URL+"/health/ready"); res.StatusCode != 200 || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("ready with Redis: %d %s", res.StatusCode, body)
	}

	// A Redis that is down: the server starts, stays live, and readiness
	// names the failing dependency.
	env := map[string]string{"ASTRAL_REDIS_URL": "redis://127.0.0.1:1/0", "ASTRAL_ADDR": "127.0.0.1:0", "ASTRAL_ADMIN_ADDR": "off", "ASTRAL_DATA_DIR": t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newOutput(), newOutput()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"astral", "serve"}, func(k string) string { return env[k] }, stdout, stderr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	base := stdout.waitFor(t, listenRe, done)
	res, body := get(t, base+"/health/ready")
	if res.StatusCode != 503 || !strings.Contains(body, `"redis":"unavailable"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("ready with Redis down: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, base+"/health/live"); res.StatusCode != 200 {
		t.Errorf("live with Redis down: %d", res.StatusCode)
	}
}

func TestDataFilesAreOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("data directory mode %v, want owner-only", st.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want owner-only", e.Name(), info.Mode().Perm())
		}
	}
}
