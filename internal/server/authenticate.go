package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/web"
)

// authenticate reads the session cookie and, when it names a live session,
// records the signed-in person in the request's Info. Anything else (no
// cookie, an expired, revoked or forged token, or a session store that
// cannot answer) leaves the request anonymous: routes that need a person
// then refuse it, so every failure here fails closed.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.opts.Sessions == nil {
		return next
	}
	name := web.SessionCookieName(s.opts.SecureCookies)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			s.bearer(r, auth)
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(name)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.opts.Sessions.Validate(r.Context(), c.Value)
		if err != nil {
			if !errs.Is(err, errs.Unauthenticated) {
				s.log.ErrorContext(r.Context(), "session validation", "err", err.Error())
			}
			next.ServeHTTP(w, r)
			return
		}
		info := reqctx.From(r.Context())
		info.UserID, info.OrgID, info.Role = sess.UserID, sess.OrgID, string(sess.Role)
		info.SessionID, info.MFA, info.AuthTime = sess.ID, sess.MFAVerified(), sess.AuthTime
		info.SessionExpires = s.opts.Sessions.ExpiresAt(sess)
		next.ServeHTTP(w, r)
	})
}

// bearer authenticates a personal API token ("Authorization: Bearer
// astral_pat_..."). Tokens are for /api/v1 only; on any other path, and for
// any invalid token, the request stays anonymous.
func (s *Server) bearer(r *http.Request, auth string) {
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || surfaceOf(r.URL.Path) != SurfaceAPI {
		return
	}
	tok, err := s.opts.Sessions.ValidateToken(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		if !errs.Is(err, errs.Unauthenticated) {
			s.log.ErrorContext(r.Context(), "API token validation", "err", err.Error())
		}
		return
	}
	info := reqctx.From(r.Context())
	info.UserID, info.OrgID, info.Role = tok.UserID, tok.OrgID, string(tok.Role)
	// A token is made by a person who passed a second factor (the tokens
	// page needs one), so it stands for an MFA-verified session, limited
	// to its scopes.
	info.MFA, info.Token = true, true
	for _, sc := range tok.Scopes {
		info.Scopes = append(info.Scopes, string(sc))
	}
}

// gate enforces a route's Access before its handler runs. An anonymous
// request to a page is sent to sign in and brought back afterwards; the API
// answers 401. A session without a second factor gets 403 on MFA routes.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, rt Route) bool {
	if rt.Access == Public {
		return true
	}
	info := reqctx.From(r.Context())
	if !info.SignedIn() {
		if rt.Surface == SurfaceWeb && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return false
		}
		s.fail(w, r, rt.Surface, errs.E(errs.Unauthenticated, ""))
		return false
	}
	if rt.Access == MFA && !info.MFA {
		s.fail(w, r, rt.Surface, errs.E(errs.Forbidden, "error.mfa_required"))
		return false
	}
	if info.Token && (rt.Scope == "" || !slices.Contains(info.Scopes, rt.Scope)) {
		s.fail(w, r, rt.Surface, errs.E(errs.Forbidden, "error.token_scope"))
		return false
	}
	return true
}
