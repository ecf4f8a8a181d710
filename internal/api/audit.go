package api

import (
	"net/http"
	"time"

	"github.com/astralcore/astral/internal/identity"
)

// AuditEntry is an audit entry as the API returns it: an explicit
// projection, so a column added to the log is not published by accident.
type AuditEntry struct {
	Seq          int64     `json:"seq"`
	Time         time.Time `json:"time"`
	ActorID      string    `json:"actor_id"`
	ActorRole    string    `json:"actor_role"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type,omitempty"`
	ResourceID   string    `json:"resource_id,omitempty"`
	PatientID    string    `json:"patient_id,omitempty"`
	Outcome      string    `json:"outcome"`
	Purpose      string    `json:"purpose"`
	Category     string    `json:"category"`
	IP           string    `json:"ip,omitempty"`
	RequestID    string    `json:"request_id,omitempty"`
	Fields       []string  `json:"fields,omitempty"`
}

// AuditPage is one page of search results.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Next is the "after" value for the next page; 0 when this is the last.
	Next int64 `json:"next,omitempty"`
}

// AuditEntries serves GET /api/v1/audit/entries: admins search their
// practice's audit log, with a session that passed a second factor or a
// personal API token with the audit:read scope.
func (h *Handler) AuditEntries(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	q, err := identity.ParseAuditQuery(r.URL.Query().Get, 100)
	if err != nil {
		return err
	}
	entries, err := h.opts.AuditLog.Search(r.Context(), actor, q)
	if err != nil {
		return err
	}
	page := AuditPage{Entries: make([]AuditEntry, 0, len(entries))}
	for _, e := range entries {
		page.Entries = append(page.Entries, AuditEntry{
			Seq: e.Seq, Time: e.Time, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
			ResourceType: e.ResourceType, ResourceID: e.ResourceID, PatientID: e.PatientID,
			Outcome: string(e.Outcome), Purpose: string(e.Purpose), Category: string(e.Category),
			IP: e.IP, RequestID: e.RequestID, Fields: e.Fields,
		})
	}
	if len(entries) == q.Limit && len(entries) > 0 {
		page.Next = entries[len(entries)-1].Seq
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, page)
}
