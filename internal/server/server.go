// Package server assembles Astral Core's HTTP surface: the route table, one
// middleware per security concern, health checks, metrics and the listener.
//
// Data flows one way: middleware → a route's handler (in web or api) → a
// domain service. A handler returns an error; the server logs its private
// cause without PHI and hands it to the surface's renderer (an HTML page for
// web, RFC 9457 problem details for api).
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/api"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/web"
)

// Options are the server's dependencies, built and passed in by cmd/astral.
type Options struct {
	Logger  *slog.Logger
	Web     *web.Handler
	API     *api.Handler
	Metrics *Metrics
	// Checks run on /health/ready, each with a bounded time.
	Checks []Check
	// CheckTimeout bounds each check; zero means two seconds.
	CheckTimeout time.Duration
	Version      string
	// MaxBodyBytes limits request bodies; larger ones get 413.
	MaxBodyBytes int64
	// HSTS sends Strict-Transport-Security; set when served over HTTPS.
	HSTS bool
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sessions validates session cookies; nil serves everyone anonymously.
	Sessions *session.Manager
	// SecureCookies says cookies are Secure (served over HTTPS).
	SecureCookies bool
}

// Server is the public HTTP handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	handler http.Handler
	cop     *http.CrossOriginProtection
	started time.Time
}

// New builds the server and its route table. It fails when a dependency is
// missing or two routes collide.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil || opts.Web == nil || opts.API == nil {
		return nil, errors.New("server: Logger, Web and API are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = defaultCheckTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), started: opts.Now()}
	s.routes = s.routeTable()
	if err := s.register(); err != nil {
		return nil, err
	}
	s.cop = http.NewCrossOriginProtection()
	s.cop.SetDenyHandler(http.HandlerFunc(s.denyCrossOrigin))
	s.handler = s.middleware(http.HandlerFunc(s.dispatch))
	return s, nil
}

// ServeHTTP serves a request through every middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table, for tests that walk every route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// register adds every route to the mux. ServeMux panics on conflicting
// patterns; that is turned into an error here.
func (s *Server) register() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("server: route table: %v", p)
		}
	}()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Pattern(), s.adapt(rt))
	}
	return nil
}

// adapt turns a route's error-returning handler into an http.Handler that
// records the matched pattern and renders errors for the route's surface.
func (s *Server) adapt(rt Route) http.Handler {
	pattern := rt.Pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqctx.From(r.Context()).Pattern = pattern
		if !s.gate(w, r, rt) {
			return
		}
		if err := rt.Handler(w, r); err != nil {
			s.fail(w, r, rt.Surface, err)
		}
	})
}

// fail logs err's private cause and renders its safe form. Internal errors
// are logged at error level with the cause; expected ones (not found,
// invalid) at debug, so logs stay useful without echoing input.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, surface Surface, err error) {
	kind := errs.KindOf(err)
	if kind == errs.Internal || kind == errs.Unavailable {
		s.log.ErrorContext(r.Context(), "request failed", "kind", kind.String(), "err", err.Error())
	} else {
		s.log.DebugContext(r.Context(), "request refused", "kind", kind.String(), "err", err.Error())
	}
	switch surface {
	case SurfaceWeb:
		s.opts.Web.Error(w, r, err)
	default:
		s.opts.API.Error(w, r, err)
	}
}

// surfaceOf guesses the surface of a path that matched no route.
func surfaceOf(path string) Surface {
	if path == "/api/v1" || strings.HasPrefix(path, "/api/") {
		return SurfaceAPI
	}
	if path == "/health" || strings.HasPrefix(path, "/health/") {
		return SurfaceOps
	}
	return SurfaceWeb
}

// dispatch routes the request. When no route matches, ServeMux would answer
// with plain text; instead its verdict (404, 405 with Allow, or a redirect to
// the cleaned path) is captured and rendered like every other error.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	h, _ := s.mux.Handler(r)
	rec := &verdictRecorder{header: make(http.Header)}
	h.ServeHTTP(rec, r)
	switch {
	case rec.status == http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.fail(w, r, surfaceOf(r.URL.Path), errs.E(errs.MethodNotAllowed, ""))
	case rec.status >= 300 && rec.status < 400 && rec.header.Get("Location") != "":
		http.Redirect(w, r, rec.header.Get("Location"), rec.status)
	default:
		s.fail(w, r, surfaceOf(r.URL.Path), errs.E(errs.NotFound, ""))
	}
}

// verdictRecorder captures ServeMux's status and headers and discards its
// plain-text body.
type verdictRecorder struct {
	header http.Header
	status int
}

func (v *verdictRecorder) Header() http.Header { return v.header }
func (v *verdictRecorder) WriteHeader(code int) {
	if v.status == 0 {
		v.status = code
	}
}
func (v *verdictRecorder) Write(b []byte) (int, error) {
	if v.status == 0 {
		v.status = http.StatusOK
	}
	return len(b), nil
}
