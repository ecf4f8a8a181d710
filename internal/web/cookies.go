package web

import (
	"net/http"
	"time"
)

// SessionCookieName is the session cookie's name: "__Host-" prefixed when
// cookies are Secure (the prefix requires it), so the browser refuses one
// set by a subdomain or without Secure, Path=/ or with a Domain.
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-astral_session"
	}
	return "astral_session"
}

// setSessionCookie stores a session token: HttpOnly, SameSite=Lax, Path=/,
// no Domain. A zero expiry makes a browser-session cookie; a remembered
// session passes its absolute expiry.
func (h *Handler) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	c := &http.Cookie{
		Name:     SessionCookieName(h.opts.SecureCookies),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   h.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookieName(h.opts.SecureCookies), Value: "", Path: "/",
		MaxAge: -1, HttpOnly: true, Secure: h.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// flowCookie keeps a single-use token from an emailed or printed link, so
// the link's URL (with the token) is left at once for a token-free address
// and never sits in the history, the screen or a Referer.
const flowCookie = "astral_flow"

func (h *Handler) setFlowCookie(w http.ResponseWriter, path, token string) {
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: token, Path: path, MaxAge: 3600,
		HttpOnly: true, Secure: h.opts.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (h *Handler) clearFlowCookie(w http.ResponseWriter, path string) {
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: h.opts.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func flowToken(r *http.Request) string {
	if c, err := r.Cookie(flowCookie); err == nil {
		return c.Value
	}
	return ""
}
