package server

import (
	"net/http"

	"github.com/astralcore/astral/internal/errs"
)

// Cross-origin protection uses the standard library's
// http.CrossOriginProtection (Go ≥1.25.1; 1.25.0 had GO-2025-3955): unsafe
// methods with Sec-Fetch-Site: cross-site, or an Origin that does not match
// the Host, are refused before any handler runs. It is wired in middleware;
// this file holds how a refusal looks.

// denyCrossOrigin renders the refusal as a translated 403.
func (s *Server) denyCrossOrigin(w http.ResponseWriter, r *http.Request) {
	s.log.InfoContext(r.Context(), "cross-origin request refused", "method", r.Method)
	s.fail(w, r, surfaceOf(r.URL.Path), errs.E(errs.Forbidden, "error.cross_origin"))
}
