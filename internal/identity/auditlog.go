package identity

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
)

// The audit log's actions.
const (
	// ActionSearchAudit searches a practice's whole audit log (admins).
	ActionSearchAudit Action = "audit.search"
	// ActionReadAccessLog reads who accessed one's own record (patients).
	ActionReadAccessLog Action = "audit.access_log"
)

// AuditSearcher reads audit entries; audit.Recorder implements it.
type AuditSearcher interface {
	Entries(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
}

// AuditLog lets people examine the audit log: admins search their practice's
// log, patients see who accessed their record. Reading the log is itself
// audited, and fails closed like every other read.
type AuditLog struct {
	entries AuditSearcher
	authz   Authorizer
	audit   Auditor
}

// NewAuditLog wires the service.
func NewAuditLog(entries AuditSearcher, authz Authorizer, auditor Auditor) *AuditLog {
	return &AuditLog{entries: entries, authz: authz, audit: auditor}
}

// AuditQuery is what an admin searches by; empty fields mean "any".
type AuditQuery struct {
	ActorID   string
	PatientID string
	Action    string
	From, To  time.Time
	After     int64
	Limit     int
}

// Search returns the entries of actor's practice that match q. Only admins
// may search (others get errs.Forbidden or errs.NotFound from the policy);
// a bad query is errs.Invalid.
func (l *AuditLog) Search(ctx context.Context, actor Actor, q AuditQuery) (_ []audit.Entry, err error) {
	defer errs.Op(&err, "identity.AuditLog.Search")
	if _, err := l.authz.Authorize(ctx, actor, ActionSearchAudit, Subject{OrgID: actor.OrgID}); err != nil {
		return nil, err
	}
	f := audit.Filter{OrgID: actor.OrgID, After: q.After, Limit: q.Limit}
	if q.ActorID != "" {
		f.ActorID = &q.ActorID
	}
	if q.PatientID != "" {
		f.PatientID = &q.PatientID
	}
	if q.Action != "" {
		f.Action = &q.Action
	}
	if !q.From.IsZero() {
		f.From = &q.From
	}
	if !q.To.IsZero() {
		f.To = &q.To
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := l.audit.Record(ctx, withRequest(ctx, l.event(actor, string(ActionSearchAudit), ""))); err != nil {
		return nil, err
	}
	return l.entries.Entries(ctx, f)
}

// AccessLog returns who did what with actor's own record: every entry that
// names actor as the patient, by anyone (including break-glass access).
// Only a patient has such a log.
func (l *AuditLog) AccessLog(ctx context.Context, actor Actor, after int64, limit int) (_ []audit.Entry, err error) {
	defer errs.Op(&err, "identity.AuditLog.AccessLog")
	subject := Subject{OrgID: actor.OrgID, UserID: actor.UserID, Role: actor.Role}
	if _, err := l.authz.Authorize(ctx, actor, ActionReadAccessLog, subject); err != nil {
		return nil, err
	}
	if err := l.audit.Record(ctx, withRequest(ctx, l.event(actor, string(ActionReadAccessLog), actor.UserID))); err != nil {
		return nil, err
	}
	id := actor.UserID
	return l.entries.Entries(ctx, audit.Filter{OrgID: actor.OrgID, PatientID: &id, After: after, Limit: limit})
}

func (l *AuditLog) event(actor Actor, action, patientID string) audit.Event {
	return audit.Event{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(actor.Role),
		Action: action, PatientID: patientID,
		Outcome: audit.Success, Purpose: audit.PurposeNormal, Category: audit.CategorySecurity,
	}
}

// withRequest fills the request's address, agent and id into ev.
func withRequest(ctx context.Context, ev audit.Event) audit.Event {
	info := reqctx.From(ctx)
	ev.IP, ev.UserAgent, ev.RequestID = info.ClientIP, audit.CleanUserAgent(info.UserAgent), info.ID
	return ev
}

// ParseAuditQuery reads a search from text parameters (a form or a query
// string): actor, patient, action, from and to (dates, YYYY-MM-DD; "to"
// includes its whole day), after (a sequence number) and limit (at most
// audit.MaxLimit; defaultLimit when empty). Every bad parameter is reported
// at once as errs.Invalid.
func ParseAuditQuery(get func(string) string, defaultLimit int) (AuditQuery, error) {
	var fields []errs.FieldError
	q := AuditQuery{
		ActorID: strings.TrimSpace(get("actor")), PatientID: strings.TrimSpace(get("patient")),
		Action: strings.TrimSpace(get("action")), Limit: defaultLimit,
	}
	date := func(name string) time.Time {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			fields = append(fields, errs.FieldError{Field: name, Message: "field.invalid_date"})
		}
		return t
	}
	q.From, q.To = date("from"), date("to")
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1)
	}
	number := func(name string, max int64) int64 {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return -1
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > max {
			fields = append(fields, errs.FieldError{Field: name, Message: "field.out_of_range", Args: []any{0, max}})
			return -1
		}
		return n
	}
	if n := number("after", math.MaxInt64); n >= 0 {
		q.After = n
	}
	if n := number("limit", audit.MaxLimit); n > 0 {
		q.Limit = int(n)
	}
	if len(fields) > 0 {
		return q, errs.InvalidFields(fields...)
	}
	return q, nil
}
