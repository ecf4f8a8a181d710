package web

import (
	"net/http"

	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

// sessionsPage is the data of the "your sessions" page.
type sessionsPage struct {
	Page
	Sessions []sessionRow
}

type sessionRow struct {
	ID, Device, Place, Started, LastSeen string
	Current                              bool
}

// Sessions serves GET /account/sessions: where the person is signed in.
func (h *Handler) Sessions(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	list, err := h.opts.Sessions.List(r.Context(), info.OrgID, info.UserID)
	if err != nil {
		return err
	}
	p := sessionsPage{Page: h.newPage(r, "sessions.title")}
	const when = "2006-01-02 15:04 UTC"
	for _, s := range list {
		if s.RevokedAt != nil {
			continue
		}
		dev := s.Device.Browser + " · " + s.Device.OS
		p.Sessions = append(p.Sessions, sessionRow{
			ID: s.ID, Device: dev, Place: s.Place, Current: s.ID == info.SessionID,
			Started: s.CreatedAt.UTC().Format(when), LastSeen: s.LastSeenAt.UTC().Format(when),
		})
	}
	return h.render(w, r, http.StatusOK, "sessions", &p)
}

// RevokeSession serves POST /account/sessions/{id}/revoke: the person signs
// out one of their sessions (only their own: the manager checks).
func (h *Handler) RevokeSession(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	if err := h.opts.Sessions.Revoke(r.Context(), info.OrgID, info.UserID, r.PathValue("id"), session.ReasonRevoked); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}
