package server

import (
	"net/http"

	"github.com/astralcore/astral/internal/reqctx"
)

// securityHeaders sets the headers every response carries (SECURITY.md §24,
// §37, §38). The Content Security Policy allows only first-party resources
// and scripts that carry this request's nonce: no inline script, no eval, no
// third party. Responses are not cached unless a handler says otherwise
// (static assets do), because most pages will carry PHI.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp(reqctx.From(r.Context()).Nonce))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("Cache-Control", "no-store")
		if s.opts.HSTS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// csp returns the policy for a request with the given nonce.
func csp(nonce string) string {
	return "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; " +
		"img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// permissionsPolicy turns off powerful features the product does not use.
// Camera and microphone stay off until video sessions need them.
const permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
