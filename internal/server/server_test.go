package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/api"
	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/web"
)

// syncBuffer is a log destination safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*Server
	logs *syncBuffer
}

// newTestServer builds a server over the real web and api handlers. Extra
// routes, for tests only, are registered after the real table.
func newTestServer(t testing.TB, mod func(*Options), extra ...Route) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cat := i18n.MustLoad()
	w, err := web.New(web.Options{Catalog: cat, Logger: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Logger:       log,
		Web:          w,
		API:          api.New(api.Options{Catalog: cat, Logger: log, Version: "test"}),
		Version:      "test",
		MaxBodyBytes: 1024,
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range extra {
		s.routes = append(s.routes, rt)
		s.mux.Handle(rt.Pattern(), s.adapt(rt))
	}
	return &testServer{Server: s, logs: logs}
}

func (ts *testServer) do(t testing.TB, r *http.Request) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, r)
	return rec.Result()
}

func body(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.HSTS = true })
	for _, target := range []string{"/", "/nope", "/api/v1/meta", "/api/v1/nope", "/health", "/static/app.css"} {
		res := ts.do(t, httptest.NewRequest("GET", target, nil))
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self' 'nonce-"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe sources: %q", target, csp)
		}
		want := map[string]string{
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "no-referrer",
			"Cross-Origin-Opener-Policy": "same-origin",
			"X-Frame-Options":            "DENY",
			"Strict-Transport-Security":  "max-age=63072000; includeSubDomains",
		}
		for k, v := range want {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", target, k, got, v)
			}
		}
		if h.Get("Permissions-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("%s: missing Permissions-Policy or X-Request-Id", target)
		}
		if h.Get("Server") != "" || h.Get("X-Powered-By") != "" {
			t.Errorf("%s: version banner present", target)
		}
	}
}

func TestNoHSTSOverPlainHTTP(t *testing.T) {
	ts := newTestServer(t, nil)
	res := ts.do(t, httptest.NewRequest("GET", "/", nil))
	if got := res.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS sent without HTTPS: %q", got)
	}
}

func TestNonceIsFreshAndUsedByScripts(t *testing.T) {
	ts := newTestServer(t, nil)
	seen := map[string]bool{}
	for range 5 {
		res := ts.do(t, httptest.NewRequest("GET", "/", nil))
		csp := res.Header.Get("Content-Security-Policy")
		i := strings.Index(csp, "'nonce-")
		nonce := csp[i+7 : i+7+strings.Index(csp[i+7:], "'")]
		if len(nonce) < 20 || seen[nonce] {
			t.Fatalf("nonce %q is short or repeated", nonce)
		}
		seen[nonce] = true
		b := body(t, res)
		if !strings.Contains(b, `nonce="`+nonce+`"`) {
			t.Errorf("page script does not carry the response's nonce")
		}
		if strings.Contains(b, "<script>") || strings.Contains(b, " onclick=") || strings.Contains(b, "style=\"") {
			t.Errorf("page has inline script or style")
		}
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		method, target string
		status         int
		ctype          string
		allow          string
	}{
		{"GET", "/does-not-exist", 404, "text/html", ""},
		{"GET", "/api/v1/does-not-exist", 404, "application/problem+json", ""},
		{"DELETE", "/api/v1/meta", 405, "application/problem+json", "GET, HEAD"},
		{"POST", "/", 405, "text/html", "GET, HEAD"},
		{"GET", "/language", 405, "text/html", "POST"},
		{"PUT", "/health/ready", 405, "application/problem+json", "GET, HEAD"},
		{"TRACE", "/", 405, "text/html", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			res := ts.do(t, httptest.NewRequest(tt.method, tt.target, nil))
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.ctype)
			}
			if got := res.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestProblemDetails(t *testing.T) {
	ts := newTestServer(t, nil)
	r := httptest.NewRequest("GET", "/api/v1/nope", nil)
	r.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	res := ts.do(t, r)
	var p api.Problem
	if err := json.Unmarshal([]byte(body(t, res)), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "urn:astral:problem:not_found" || p.Status != 404 || p.Title != "Seite nicht gefunden" {
		t.Errorf("problem = %+v", p)
	}
	if want := "urn:astral:request:" + res.Header.Get("X-Request-Id"); p.Instance != want {
		t.Errorf("instance = %q, want %q", p.Instance, want)
	}
}

func TestPanicIsA500WithoutDetails(t *testing.T) {
	ts := newTestServer(t, nil,
		Route{Method: "GET", Path: "/test/panic", Surface: SurfaceWeb, Handler: func(w http.ResponseWriter, r *http.Request) error {
			panic("secret-panic-value patient Jane")
		}},
		Route{Method: "GET", Path: "/api/v1/test/fail", Surface: SurfaceAPI, Handler: func(w http.ResponseWriter, r *http.Request) error {
			return errors.New("pq: SELECT * FROM users WHERE email='jane@example.com'")
		}},
	)
	res := ts.do(t, httptest.NewRequest("GET", "/test/panic", nil))
	b := body(t, res)
	if res.StatusCode != 500 || strings.Contains(b, "secret-panic-value") || !strings.Contains(b, "Something went wrong") {
		t.Errorf("panic response: %d %q", res.StatusCode, b)
	}
	res = ts.do(t, httptest.NewRequest("GET", "/api/v1/test/fail", nil))
	b = body(t, res)
	if res.StatusCode != 500 || strings.Contains(b, "SELECT") || strings.Contains(b, "jane") {
		t.Errorf("internal error leaked: %d %q", res.StatusCode, b)
	}
	if logs := ts.logs.String(); strings.Contains(logs, "secret-panic-value") {
		t.Errorf("panic value reached the log")
	}
}

func TestCrossOriginProtection(t *testing.T) {
	ts := newTestServer(t, nil)
	form := func() *http.Request {
		r := httptest.NewRequest("POST", "/language", strings.NewReader("lang=de&return=/"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	r := form()
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := ts.do(t, r); res.StatusCode != 403 {
		t.Errorf("cross-site POST: status %d, want 403", res.StatusCode)
	}
	r = form()
	r.Header.Set("Origin", "https://evil.example")
	if res := ts.do(t, r); res.StatusCode != 403 {
		t.Errorf("foreign Origin POST: status %d, want 403", res.StatusCode)
	}
	r = form()
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	res := ts.do(t, r)
	if res.StatusCode != 303 {
		t.Errorf("same-origin POST: status %d, want 303", res.StatusCode)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := ts.do(t, r); res.StatusCode != 200 {
		t.Errorf("cross-site GET: status %d, want 200 (safe methods are allowed)", res.StatusCode)
	}
}

// countingReader fails the test if the server reads a body it should have
// refused from its Content-Length alone.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += len(p)
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestBodyLimit(t *testing.T) {
	var got error
	ts := newTestServer(t, nil, Route{Method: "POST", Path: "/api/v1/test/echo", Surface: SurfaceAPI, Handler: func(w http.ResponseWriter, r *http.Request) error {
		var v struct{ Name string }
		got = api.Decode(r, &v)
		return got
	}})
	cr := &countingReader{}
	r := httptest.NewRequest("POST", "/api/v1/test/echo", io.LimitReader(cr, 1<<20))
	r.ContentLength = 1 << 20
	res := ts.do(t, r)
	if res.StatusCode != 413 || cr.n != 0 {
		t.Errorf("declared oversize body: status %d, %d bytes read; want 413 and none read", res.StatusCode, cr.n)
	}
	// A chunked body (no Content-Length) is cut off by MaxBytesReader.
	big := `{"Name":"` + strings.Repeat("x", 5000) + `"}`
	r = httptest.NewRequest("POST", "/api/v1/test/echo", strings.NewReader(big))
	r.ContentLength = -1
	res = ts.do(t, r)
	if res.StatusCode != 413 {
		t.Errorf("chunked oversize body: status %d, want 413 (%v)", res.StatusCode, got)
	}
	if !strings.Contains(body(t, res), "1 KiB") {
		t.Errorf("413 problem does not state the limit")
	}
}

func TestClientIP(t *testing.T) {
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	ts := newTestServer(t, func(o *Options) { o.TrustedProxies = []netip.Prefix{proxy} })
	tests := []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:1234", "", "203.0.113.9"},
		{"203.0.113.9:1234", "198.51.100.1", "203.0.113.9"},                // untrusted peer: header ignored
		{"10.1.2.3:80", "198.51.100.1", "198.51.100.1"},                    // trusted proxy
		{"10.1.2.3:80", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // right-most untrusted
		{"10.1.2.3:80", "not-an-ip", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:80", "198.51.100.7", "198.51.100.7"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := ts.clientIP(r).String(); got != tt.want {
			t.Errorf("clientIP(%s, %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestAccessLogHasRouteTemplatesNotPathsOrQueries(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.do(t, httptest.NewRequest("GET", "/static/app.css?email=jane@example.com", nil))
	ts.do(t, httptest.NewRequest("GET", "/patients/8c1f-secret-id?token=abc", nil))
	logs := ts.logs.String()
	for _, leak := range []string{"jane@example.com", "8c1f-secret-id", "token=abc"} {
		if strings.Contains(logs, leak) {
			t.Errorf("access log contains %q:\n%s", leak, logs)
		}
	}
	for _, want := range []string{`"route":"GET /static/{path...}"`, `"route":"unmatched"`, `"status":404`} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s:\n%s", want, logs)
		}
	}
}

func TestReadiness(t *testing.T) {
	ok := Check{Name: "database", Fn: func(ctx context.Context) error { return nil }}
	down := Check{Name: "redis", Fn: func(ctx context.Context) error { return errors.New("dial tcp: connection refused") }}
	hang := Check{Name: "keys", Fn: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}

	ts := newTestServer(t, func(o *Options) { o.Checks = []Check{ok} })
	res := ts.do(t, httptest.NewRequest("GET", "/health/ready", nil))
	if res.StatusCode != 200 || !strings.Contains(body(t, res), `"database":"ok"`) {
		t.Errorf("ready with healthy checks: %d", res.StatusCode)
	}

	ts = newTestServer(t, func(o *Options) {
		o.Checks = []Check{ok, down, hang}
		o.CheckTimeout = 50 * time.Millisecond
	})
	res = ts.do(t, httptest.NewRequest("GET", "/health/ready", nil))
	b := body(t, res)
	if res.StatusCode != 503 || !strings.Contains(b, `"redis":"unavailable"`) || !strings.Contains(b, `"keys":"unavailable"`) || !strings.Contains(b, `"database":"ok"`) {
		t.Errorf("ready with failing checks: %d %s", res.StatusCode, b)
	}
	if strings.Contains(b, "refused") {
		t.Errorf("readiness leaks the cause: %s", b)
	}
	res = ts.do(t, httptest.NewRequest("GET", "/health/live", nil))
	if res.StatusCode != 200 {
		t.Errorf("live = %d while a dependency is down; liveness must not depend on it", res.StatusCode)
	}
}

func TestMetricsCountRoutes(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.do(t, httptest.NewRequest("GET", "/health", nil))
	ts.do(t, httptest.NewRequest("BREW", "/health", nil))
	rec := httptest.NewRecorder()
	ts.opts.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`astral_http_requests_total{code="200",method="GET",route="GET /health"} 1`,
		`astral_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`,
		`astral_http_request_duration_seconds_bucket{method="GET",route="GET /health"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The public listener never serves metrics.
	if res := ts.do(t, httptest.NewRequest("GET", "/metrics", nil)); res.StatusCode != 404 {
		t.Errorf("public /metrics = %d, want 404", res.StatusCode)
	}
}

func TestRouteTableIsConsistent(t *testing.T) {
	ts := newTestServer(t, nil)
	seen := map[string]bool{}
	for _, rt := range ts.Routes() {
		if seen[rt.Pattern()] {
			t.Errorf("duplicate route %s", rt.Pattern())
		}
		seen[rt.Pattern()] = true
		if rt.Handler == nil {
			t.Errorf("route %s has no handler", rt.Pattern())
		}
		if rt.Surface == SurfaceAPI && !strings.HasPrefix(rt.Path, "/api/v1/") {
			t.Errorf("API route %s outside /api/v1", rt.Pattern())
		}
	}
}
