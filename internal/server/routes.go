package server

import "net/http"

// Surface says which renderer answers a route's errors and how the access
// policy treats it.
type Surface int

// The surfaces.
const (
	SurfaceWeb Surface = iota // HTML pages
	SurfaceAPI                // /api/v1 JSON
	SurfaceOps                // health checks for load balancers
)

// HandlerFunc is a route handler: it parses, calls one domain method,
// renders, and returns an error instead of writing one.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one entry of the URL surface.
type Route struct {
	Method  string
	Path    string
	Surface Surface
	Handler HandlerFunc
}

// Pattern is the ServeMux pattern, such as "GET /health".
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// routeTable is the whole public URL surface of Astral Core, in one place.
// GET routes also answer HEAD. Later issues add their routes here; tests
// walk this table (the OpenAPI document check, and later the access-policy
// matrix), so a route cannot be forgotten.
func (s *Server) routeTable() []Route {
	w, a := s.opts.Web, s.opts.API
	return []Route{
		// Operations.
		{"GET", "/health", SurfaceOps, s.health},
		{"GET", "/health/live", SurfaceOps, s.live},
		{"GET", "/health/ready", SurfaceOps, s.ready},

		// Web pages.
		{"GET", "/{$}", SurfaceWeb, w.Home},
		{"POST", "/language", SurfaceWeb, w.SetLanguage},
		{"GET", "/static/{path...}", SurfaceWeb, w.ServeStatic},

		// JSON API.
		{"GET", "/api/v1/openapi.json", SurfaceAPI, a.OpenAPI},
		{"GET", "/api/v1/meta", SurfaceAPI, a.Meta},
	}
}
