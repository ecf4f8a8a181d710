package store

import (
	"context"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
)

// scanAuditEntry scans a row of auditEntryColumns. It checks nothing: verify
// must see a tampered row as it is stored.
func scanAuditEntry(s scanner) (e audit.Entry, err error) {
	var fields string
	err = s.Scan(&e.OrgID, &e.Seq, timeScanner{&e.Time}, &e.ActorID, &e.ActorRole, &e.Action,
		&e.ResourceType, &e.ResourceID, &e.PatientID, (*string)(&e.Outcome), (*string)(&e.Purpose),
		(*string)(&e.Category), &e.IP, &e.UserAgent, &e.RequestID, &fields, &e.DataHash,
		&e.PrevHash, &e.Hash)
	e.Fields = []string{}
	if fields != "" {
		e.Fields = strings.Split(fields, ",")
	}
	return e, err
}

// AuditEntries lists the entries f selects, in seq order; see audit.Store.
// An invalid filter is errs.Invalid.
func (db *DB) AuditEntries(ctx context.Context, f audit.Filter) (_ []audit.Entry, err error) {
	defer errs.Op(&err, "store.AuditEntries")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + auditEntryColumns + ` FROM audit_entries WHERE org_id = ? AND seq > ?`)
	args := []any{f.OrgID, f.After}
	if f.ActorID != nil {
		q.WriteString(` AND actor_id = ?`)
		args = append(args, *f.ActorID)
	}
	if f.PatientID != nil {
		// The repeated <> '' lets both engines use the partial index.
		q.WriteString(` AND patient_id = ? AND patient_id <> ''`)
		args = append(args, *f.PatientID)
	}
	if f.Action != nil {
		q.WriteString(` AND action = ?`)
		args = append(args, *f.Action)
	}
	if f.From != nil {
		q.WriteString(` AND created_at >= ?`)
		args = append(args, db.d.timeArg(*f.From))
	}
	if f.To != nil {
		q.WriteString(` AND created_at < ?`)
		args = append(args, db.d.timeArg(*f.To))
	}
	q.WriteString(` ORDER BY seq LIMIT ?`)
	args = append(args, f.EffectiveLimit())
	return list(ctx, db.read(), q.String(), args, scanAuditEntry)
}

// AuditCheckpoints lists an org's checkpoints in seq order.
func (db *DB) AuditCheckpoints(ctx context.Context, orgID string) (_ []audit.Checkpoint, err error) {
	defer errs.Op(&err, "store.AuditCheckpoints")
	return list(ctx, db.read(), `SELECT org_id, seq, hash, created_at, key_id, public_key, signature
		FROM audit_checkpoints WHERE org_id = ? ORDER BY seq`, []any{orgID},
		func(s scanner) (c audit.Checkpoint, err error) {
			err = s.Scan(&c.OrgID, &c.Seq, &c.Hash, timeScanner{&c.Time}, &c.KeyID, &c.PublicKey, &c.Signature)
			return c, err
		})
}

// AuditHead returns an org's chain head, or an empty head (Seq 0,
// GenesisHash) when it has none.
func (db *DB) AuditHead(ctx context.Context, orgID string) (_ audit.Head, err error) {
	defer errs.Op(&err, "store.AuditHead")
	h := audit.Head{OrgID: orgID}
	var at *time.Time
	err = db.read().queryRow(ctx, `SELECT seq, hash, checkpoint_seq, checkpoint_at FROM audit_heads WHERE org_id = ?`, orgID).
		Scan(&h.Seq, &h.Hash, &h.CheckpointSeq, nullTimeScanner{&at})
	if err = classify(err); errs.Is(err, errs.NotFound) {
		return audit.Head{OrgID: orgID, Hash: audit.GenesisHash()}, nil
	}
	if at != nil {
		h.CheckpointAt = *at
	}
	return h, err
}

// AuditOrgIDs lists, sorted, every org with audit rows or a practice row:
// a chain whose head row was deleted is still found through its entries.
func (db *DB) AuditOrgIDs(ctx context.Context) (_ []string, err error) {
	defer errs.Op(&err, "store.AuditOrgIDs")
	return list(ctx, db.read(), `SELECT org_id FROM audit_heads
		UNION SELECT org_id FROM audit_checkpoints
		UNION SELECT DISTINCT org_id FROM audit_entries
		UNION SELECT id FROM organizations
		ORDER BY 1`, nil, func(s scanner) (id string, err error) {
		err = s.Scan(&id)
		return id, err
	})
}
