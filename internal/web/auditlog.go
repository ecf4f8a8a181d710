package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// auditRow is one audit entry as a page shows it: ids, names of actions and
// outcomes, never PHI (the log holds none).
type auditRow struct {
	Seq       int64
	Time      string
	ActorID   string
	ActorRole string
	Action    string
	Resource  string
	PatientID string
	Outcome   string
	Purpose   string
	IP        string
}

// auditPage is the data of the audit search and access-log pages.
type auditPage struct {
	Page
	Form     *Form
	Rows     []auditRow
	NextPage string
	Searched bool
}

// AuditSearch serves GET /admin/audit: admins search their practice's audit
// log by actor, patient, action and time.
func (h *Handler) AuditSearch(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	p := auditPage{Page: h.newPage(r, "auditlog.title"), Form: &Form{Values: map[string]string{}, Errors: map[string]string{}}}
	q := r.URL.Query()
	for _, k := range []string{"actor", "patient", "action", "from", "to"} {
		p.Form.Values[k] = strings.TrimSpace(q.Get(k))
	}
	query, err := identity.ParseAuditQuery(q.Get, 50)
	if err == nil {
		var entries []audit.Entry
		entries, err = h.opts.AuditLog.Search(r.Context(), actor, query)
		if err == nil {
			p.Searched = true
			p.Rows = auditRows(entries, &p.Page)
			if len(entries) == query.Limit {
				next := url.Values{}
				for k, v := range p.Form.Values {
					if v != "" {
						next.Set(k, v)
					}
				}
				next.Set("after", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
				p.NextPage = "/admin/audit?" + next.Encode()
			}
		}
	}
	if err != nil {
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) || !p.Form.fail(h.opts.Catalog, p.Locale, err) {
			return err
		}
		return h.render(w, r, http.StatusBadRequest, "audit_search", &p)
	}
	return h.render(w, r, http.StatusOK, "audit_search", &p)
}

// AccessLog serves GET /account/access-log: a patient sees who accessed
// their record, and when.
func (h *Handler) AccessLog(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	const pageSize = 100
	entries, err := h.opts.AuditLog.AccessLog(r.Context(), actor, after, pageSize)
	if err != nil {
		return err
	}
	p := auditPage{Page: h.newPage(r, "accesslog.title"), Form: newForm(r), Searched: true}
	p.Rows = auditRows(entries, &p.Page)
	if len(entries) == pageSize {
		p.NextPage = "/account/access-log?after=" + strconv.FormatInt(entries[len(entries)-1].Seq, 10)
	}
	return h.render(w, r, http.StatusOK, "access_log", &p)
}

func auditRows(entries []audit.Entry, p *Page) []auditRow {
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		row := auditRow{
			Seq: e.Seq, Time: e.Time.UTC().Format("2006-01-02 15:04:05 UTC"),
			ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
			PatientID: e.PatientID, Outcome: string(e.Outcome), Purpose: string(e.Purpose), IP: e.IP,
		}
		if e.ResourceType != "" {
			row.Resource = e.ResourceType + " " + e.ResourceID
		}
		if label := "role." + e.ActorRole; p.cat.Has(label) {
			row.ActorRole = p.T(label)
		}
		if label := "auditlog.action." + strings.ReplaceAll(e.Action, ".", "_"); p.cat.Has(label) {
			row.Action = p.T(label)
		}
		rows = append(rows, row)
	}
	return rows
}
