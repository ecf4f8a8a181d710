// Package api serves the JSON API under /api/v1.
//
// Errors are answered as RFC 9457 problem details. Request bodies are decoded
// strictly: unknown fields, trailing data, wrong types and oversized bodies
// are each refused with a specific, translated message. The OpenAPI 3.1
// document in openapi.json describes every route; a test keeps the two in
// step.
package api

import (
	_ "embed"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/identity"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDocument returns the embedded OpenAPI document, for tests.
func OpenAPIDocument() []byte { return openAPIDoc }

// Options configure the API handlers.
type Options struct {
	Catalog  *i18n.Catalog
	Logger   *slog.Logger
	Version  string
	AuditLog *identity.AuditLog
}

// Handler serves /api/v1.
type Handler struct {
	opts Options
}

// New returns the API handler.
func New(opts Options) *Handler { return &Handler{opts: opts} }

// OpenAPI serves GET /api/v1/openapi.json.
func (h *Handler) OpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
	return nil
}

// Meta is the body of GET /api/v1/meta.
type Meta struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Locales []string `json:"locales"`
}

// Meta serves GET /api/v1/meta: what this server is, for clients and
// monitoring. It reveals nothing that the login page does not.
func (h *Handler) Meta(w http.ResponseWriter, r *http.Request) error {
	m := Meta{Name: "Astral Core", Version: h.opts.Version}
	for _, l := range i18n.Locales() {
		m.Locales = append(m.Locales, string(l))
	}
	return writeJSON(w, http.StatusOK, m)
}

// NotFound answers every /api/v1 path that matched no route.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound
}

// writeJSON writes v as JSON with status. Encoding happens before the header
// is written, so an encoding failure is still a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}
