package web

import (
	"net/http"

	"github.com/astralcore/astral/internal/errs"
)

// errorPage is the data of the error template.
type errorPage struct {
	Page
	Status  int
	Heading string
	Message string
	Fields  []fieldMessage
}

type fieldMessage struct {
	Field   string
	Message string
}

// Error renders err as a friendly, translated error page with the status its
// kind maps to. The page shows the safe message only; the cause was logged
// by the caller. Internal errors show a generic message and the request id,
// so support can find the log line.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg, args, fields := errs.Public(err)
	status := kind.HTTPStatus()
	p := errorPage{Page: h.newPage(r, "error."+kind.String()+".title"), Status: status}
	p.Heading = p.Title
	p.Message = p.T(msg, args...)
	for _, f := range fields {
		p.Fields = append(p.Fields, fieldMessage{Field: f.Field, Message: p.T(f.Message, f.Args...)})
	}
	if rerr := h.render(w, r, status, "error", &p); rerr != nil {
		// The error template itself failed: fall back to plain text.
		h.opts.Logger.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}
