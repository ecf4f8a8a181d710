package api

import (
	"encoding/json"
	"net/http"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one invalid input field, an extension member.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemTypeBase prefixes the kind to form the problem type URI. A URN
// rather than a URL, because nothing is served there.
const problemTypeBase = "urn:astral:problem:"

// Error writes err as application/problem+json in the request's locale.
// Only the safe message is sent; the cause was logged by the caller.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg, args, fields := errs.Public(err)
	loc := h.opts.Catalog.Match("", r.Header.Get("Accept-Language"))
	p := Problem{
		Type:     problemTypeBase + kind.String(),
		Title:    h.opts.Catalog.T(loc, "error."+kind.String()+".title"),
		Status:   kind.HTTPStatus(),
		Detail:   h.opts.Catalog.T(loc, msg, args...),
		Instance: "urn:astral:request:" + reqctx.From(r.Context()).ID,
	}
	for _, f := range fields {
		p.Errors = append(p.Errors, ProblemField{Field: f.Field, Message: h.opts.Catalog.T(loc, f.Message, f.Args...)})
	}
	b, merr := json.Marshal(p)
	if merr != nil {
		http.Error(w, http.StatusText(p.Status), p.Status)
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", string(loc))
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}

var errNotFound = errs.E(errs.NotFound, "")
