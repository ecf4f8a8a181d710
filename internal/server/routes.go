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

// Access is what a request needs before a route's handler runs.
type Access int

// The access levels. The policy package decides access to a particular
// person's data inside the handler; these only gate the route.
const (
	Public   Access = iota // anyone
	SignedIn               // a valid session (AAL1)
	MFA                    // a session that passed a second factor (AAL2)
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
	Access  Access
	// Scope is the API token scope the route needs; routes without one
	// refuse API tokens (they accept sessions only).
	Scope string
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
		{"GET", "/health", SurfaceOps, s.health, Public, ""},
		{"GET", "/health/live", SurfaceOps, s.live, Public, ""},
		{"GET", "/health/ready", SurfaceOps, s.ready, Public, ""},

		// Web pages.
		{"GET", "/{$}", SurfaceWeb, w.Home, Public, ""},
		{"POST", "/language", SurfaceWeb, w.SetLanguage, Public, ""},
		{"GET", "/static/{path...}", SurfaceWeb, w.ServeStatic, Public, ""},

		// Setup, sign-in and the signed-in person's own pages.
		{"GET", "/setup/{token}", SurfaceWeb, w.SetupLink, Public, ""},
		{"GET", "/setup", SurfaceWeb, w.SetupForm, Public, ""},
		{"POST", "/setup", SurfaceWeb, w.Setup, Public, ""},
		{"GET", "/login", SurfaceWeb, w.LoginForm, Public, ""},
		{"POST", "/login", SurfaceWeb, w.Login, Public, ""},
		{"POST", "/logout", SurfaceWeb, w.Logout, Public, ""},
		{"GET", "/forgot", SurfaceWeb, w.ForgotForm, Public, ""},
		{"POST", "/forgot", SurfaceWeb, w.Forgot, Public, ""},
		{"GET", "/reset/{token}", SurfaceWeb, w.ResetLink, Public, ""},
		{"GET", "/reset", SurfaceWeb, w.ResetForm, Public, ""},
		{"POST", "/reset", SurfaceWeb, w.Reset, Public, ""},
		{"GET", "/invite/{token}", SurfaceWeb, w.InviteLink, Public, ""},
		{"GET", "/invite", SurfaceWeb, w.AcceptForm, Public, ""},
		{"POST", "/invite", SurfaceWeb, w.Accept, Public, ""},
		{"GET", "/login/mfa", SurfaceWeb, w.MFAForm, SignedIn, ""},
		{"POST", "/login/mfa", SurfaceWeb, w.MFAVerify, SignedIn, ""},
		{"GET", "/account", SurfaceWeb, w.Account, SignedIn, ""},
		{"POST", "/session/extend", SurfaceWeb, w.ExtendSession, SignedIn, ""},
		{"GET", "/account/mfa", SurfaceWeb, w.MFASettings, SignedIn, ""},
		{"POST", "/account/mfa/totp", SurfaceWeb, w.TOTPBegin, SignedIn, ""},
		{"POST", "/account/mfa/totp/confirm", SurfaceWeb, w.TOTPConfirm, SignedIn, ""},
		{"GET", "/account/access-log", SurfaceWeb, w.AccessLog, SignedIn, ""},
		{"GET", "/account/profile", SurfaceWeb, w.Profile, SignedIn, ""},
		{"GET", "/account/sessions", SurfaceWeb, w.Sessions, SignedIn, ""},
		{"GET", "/account/password", SurfaceWeb, w.PasswordForm, SignedIn, ""},
		{"POST", "/account/password", SurfaceWeb, w.ChangePassword, SignedIn, ""},
		{"POST", "/account/sessions/{id}/revoke", SurfaceWeb, w.RevokeSession, SignedIn, ""},
		{"POST", "/account/profile", SurfaceWeb, w.SaveProfile, SignedIn, ""},

		// Practice administration.
		{"GET", "/admin/audit", SurfaceWeb, w.AuditSearch, MFA, ""},
		{"GET", "/admin/people", SurfaceWeb, w.People, MFA, ""},
		{"POST", "/admin/people/invite", SurfaceWeb, w.Invite, MFA, ""},
		{"POST", "/admin/people/{id}", SurfaceWeb, w.ChangePerson, MFA, ""},
		{"GET", "/account/tokens", SurfaceWeb, w.Tokens, MFA, ""},
		{"POST", "/account/tokens", SurfaceWeb, w.CreateToken, MFA, ""},
		{"POST", "/account/tokens/{id}/revoke", SurfaceWeb, w.RevokeToken, MFA, ""},

		// JSON API.
		{"GET", "/api/v1/openapi.json", SurfaceAPI, a.OpenAPI, Public, ""},
		{"GET", "/api/v1/meta", SurfaceAPI, a.Meta, Public, ""},
		{"GET", "/api/v1/audit/entries", SurfaceAPI, a.AuditEntries, MFA, "audit:read"},
	}
}
