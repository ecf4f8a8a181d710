package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/astralcore/astral/internal/api"
	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/web"
)

// newBenchServer builds the real server with logging on (JSON to
// io.Discard), so the access log's cost is measured too.
func newBenchServer(b *testing.B) *Server {
	b.Helper()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cat := i18n.MustLoad()
	w, err := web.New(web.Options{Catalog: cat, Logger: log, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Logger: log, Web: w, API: api.New(api.Options{Catalog: cat, Logger: log}), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the server, not a recorder's buffer growth.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchPath(b *testing.B, target string) {
	s := newBenchServer(b)
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		s.ServeHTTP(w, r)
	}
}

// BenchmarkLive is the smallest request: GET /health/live through every
// middleware (request id and nonce, access log and metrics, recovery,
// security headers, cross-origin check, body limit, routing).
func BenchmarkLive(b *testing.B) { benchPath(b, "/health/live") }

// BenchmarkHomePage adds locale negotiation and rendering the home page
// template with the layout.
func BenchmarkHomePage(b *testing.B) { benchPath(b, "/") }

// BenchmarkNotFound measures the unmatched-route path, which asks the mux
// twice.
func BenchmarkNotFound(b *testing.B) { benchPath(b, "/no/such/page") }

// BenchmarkParallelHomePage runs the home page on every core.
func BenchmarkParallelHomePage(b *testing.B) {
	s := newBenchServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/", nil)
		w := &discardWriter{h: make(http.Header)}
		for pb.Next() {
			clear(w.h)
			s.ServeHTTP(w, r)
		}
	})
}
