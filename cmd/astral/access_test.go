package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/server"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/store/storetest"
	"github.com/astralcore/astral/internal/web"
)

// routeRoles lists, for every route that is not public, the roles that may
// use it; nil means every signed-in role. A route missing here fails the
// test, so no new route escapes the access matrix.
var routeRoles = map[string][]identity.Role{
	"GET /login/mfa":                     nil,
	"POST /login/mfa":                    nil,
	"GET /account":                       nil,
	"GET /account/password":              nil,
	"POST /account/password":             nil,
	"POST /session/extend":               nil,
	"GET /account/mfa":                   nil,
	"POST /account/mfa/totp":             nil,
	"POST /account/mfa/totp/confirm":     nil,
	"GET /account/access-log":            {identity.RolePatient},
	"GET /account/profile":               nil,
	"POST /account/profile":              nil,
	"GET /admin/audit":                   {identity.RoleAdmin},
	"POST /admin/people/{id}":            {identity.RoleAdmin},
	"GET /account/sessions":              nil,
	"POST /account/sessions/{id}/revoke": nil,
	"GET /admin/people":                  {identity.RoleAdmin, identity.RoleStaff},
	"POST /admin/people/invite":          {identity.RoleAdmin},
	"GET /account/tokens":                nil,
	"POST /account/tokens":               nil,
	"POST /account/tokens/{id}/revoke":   nil,
	"GET /api/v1/audit/entries":          {identity.RoleAdmin},
}

// samplePath fills a route's path parameters.
func samplePath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	p = strings.ReplaceAll(p, "{id}", "00000000-0000-0000-0000-000000000000")
	p = strings.ReplaceAll(p, "{token}", "not-a-token")
	return strings.ReplaceAll(p, "{path...}", "app.css")
}

// TestAccessMatrix sends every route of the route table as every kind of
// caller (anonymous; each role with and without a second factor) and checks
// the gate: anonymous callers are sent to sign in (pages) or get 401 (API and
// forms), sessions without a second factor get 403 on MFA routes, and roles
// not allowed on a route never get a 2xx answer.
func TestAccessMatrix(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ASTRAL_DATA_DIR": dir}
	inst := startServer(t, env)

	// A second handle on the same database makes the people and sessions.
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := openApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ppl, err := a.newPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv, _, _, err := a.buildServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org := storetest.MustOrganization(t, a.db)

	type caller struct {
		name  string
		role  identity.Role
		mfa   bool
		token string
	}
	callers := []caller{{name: "anonymous"}}
	for _, role := range identity.Roles() {
		u := storetest.MustUser(t, a.db, org.ID, role)
		for _, mfa := range []bool{false, true} {
			tok, _, err := ppl.sessions.Create(ctx, session.NewSession{OrgID: org.ID, UserID: u.ID, Role: role, MFA: mfa})
			if err != nil {
				t.Fatal(err)
			}
			name := string(role)
			if mfa {
				name += "+mfa"
			}
			callers = append(callers, caller{name: name, role: role, mfa: mfa, token: tok})
		}
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rt := range srv.Routes() {
		if rt.Access == server.Public {
			continue
		}
		roles, listed := routeRoles[rt.Pattern()]
		if !listed {
			t.Errorf("route %s is not in routeRoles: say which roles may use it", rt.Pattern())
			continue
		}
		for _, c := range callers {
			t.Run(rt.Pattern()+"/"+c.name, func(t *testing.T) {
				var body io.Reader
				if rt.Method == "POST" {
					body = strings.NewReader(url.Values{"x": {"1"}}.Encode())
				}
				req, err := http.NewRequest(rt.Method, inst.URL+samplePath(rt.Path), body)
				if err != nil {
					t.Fatal(err)
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if c.token != "" {
					req.AddCookie(&http.Cookie{Name: web.SessionCookieName(false), Value: c.token})
				}
				res, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				code := res.StatusCode
				switch {
				case c.token == "" && rt.Surface == server.SurfaceWeb && rt.Method == "GET":
					if code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
						t.Errorf("anonymous: %d to %q, want 303 to /login", code, res.Header.Get("Location"))
					}
				case c.token == "":
					if code != http.StatusUnauthorized {
						t.Errorf("anonymous: %d, want 401", code)
					}
				case rt.Access == server.MFA && !c.mfa:
					if code != http.StatusForbidden {
						t.Errorf("without a second factor: %d, want 403", code)
					}
				case roles != nil && !slices.Contains(roles, c.role):
					if code < 400 {
						t.Errorf("role %s not allowed here got %d", c.role, code)
					}
				default:
					// An allowed caller passes the gate; the handler may
					// still refuse the sample input (a wrong MFA code is
					// 401 by design).
					wrongCode := rt.Pattern() == "POST /login/mfa" && code == http.StatusUnauthorized
					if !wrongCode && (code == http.StatusUnauthorized || code == http.StatusForbidden) {
						t.Errorf("allowed caller refused: %d", code)
					}
				}
			})
		}
	}
}
