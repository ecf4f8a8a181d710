package web

import (
	"net/http"

	"github.com/astralcore/astral/internal/errs"
)

var errNotFound = errs.E(errs.NotFound, "")

// Home serves GET /{$}: what Astral Core is and where to go next.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) error {
	p := h.newPage(r, "home.title")
	return h.render(w, r, http.StatusOK, "home", &p)
}

// NotFound serves every path that matched no route.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound
}
