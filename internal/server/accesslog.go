package server

import (
	"log/slog"
	"net/http"

	"github.com/astralcore/astral/internal/reqctx"
)

// accessLog writes one structured line per request and records metrics. It
// logs the route pattern, never the raw path (which may hold ids) or the
// query string (which may hold anything).
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		info := reqctx.From(r.Context())
		route := info.Pattern
		if route == "" {
			route = "unmatched"
		}
		elapsed := s.opts.Now().Sub(info.Start)
		s.opts.Metrics.observe(r.Method, route, sw.status, elapsed)
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", info.ID),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("ip", info.ClientIP.String()),
			slog.String("proto", r.Proto),
		)
	})
}

// statusWriter records the status and size of a response. Unwrap lets
// http.ResponseController reach the underlying writer (flush, deadlines,
// hijack for WebSocket).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
