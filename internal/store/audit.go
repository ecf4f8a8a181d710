package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
)

var _ audit.Store = (*DB)(nil)

// auditEntryColumns are audit_entries' columns in the order scanAuditEntry
// and insertAuditEntries use.
const auditEntryColumns = `org_id, seq, created_at, actor_id, actor_role, action, resource_type,
	resource_id, patient_id, outcome, purpose, category, ip, user_agent, request_id, fields,
	data_hash, prev_hash, hash`

const (
	auditEntryArgs = 19
	// auditInsertRows bounds the rows of one INSERT statement, well below
	// both engines' limits on bound parameters.
	auditInsertRows = 128
)

// AppendAudit runs one transaction that locks the chain heads of orgIDs,
// lets build compute what to append, and writes it; see audit.Store.
//
// The lock is an upsert on the org's audit_heads row that returns it
// (INSERT ... ON CONFLICT DO UPDATE ... RETURNING): on PostgreSQL the row
// stays locked until commit, exactly as SELECT ... FOR UPDATE would, so two
// instances appending to one practice take turns and never fork its chain.
// On SQLite the single writer already serializes every append.
func (db *DB) AppendAudit(ctx context.Context, orgIDs []string, build func(heads []audit.Head) (audit.Append, error)) error {
	orgs := slices.Compact(slices.Sorted(slices.Values(orgIDs)))
	return db.InTx(ctx, func(tx *Tx) error {
		heads := make([]audit.Head, 0, len(orgs))
		for _, org := range orgs {
			h, err := lockAuditHead(ctx, tx, org)
			if err != nil {
				return auditErr("store.AppendAudit: lock head", err)
			}
			heads = append(heads, h)
		}
		a, err := build(heads)
		if err != nil {
			return err
		}
		if err := insertAuditEntries(ctx, tx, a.Entries); err != nil {
			return auditErr("store.AppendAudit: entries", err)
		}
		for _, c := range a.Checkpoints {
			_, err := tx.exec(ctx, `INSERT INTO audit_checkpoints
				(org_id, seq, hash, created_at, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				c.OrgID, c.Seq, c.Hash, tx.d.timeArg(c.Time), c.KeyID, c.PublicKey, c.Signature)
			if err != nil {
				return auditErr("store.AppendAudit: checkpoint", err)
			}
		}
		for _, h := range a.Heads {
			var at any
			if !h.CheckpointAt.IsZero() {
				at = tx.d.timeArg(h.CheckpointAt)
			}
			_, err := tx.exec(ctx, `UPDATE audit_heads SET seq = ?, hash = ?, checkpoint_seq = ?, checkpoint_at = ?
				WHERE org_id = ?`, h.Seq, h.Hash, h.CheckpointSeq, at, h.OrgID)
			if err != nil {
				return auditErr("store.AppendAudit: head", err)
			}
		}
		return nil
	})
}

// lockAuditHead returns an org's head, creating an empty one if needed, and
// holds its row lock until the transaction ends.
func lockAuditHead(ctx context.Context, tx *Tx, orgID string) (audit.Head, error) {
	h := audit.Head{OrgID: orgID}
	var at *time.Time
	err := tx.queryRow(ctx, `INSERT INTO audit_heads (org_id, seq, hash, checkpoint_seq) VALUES (?, 0, ?, 0)
		ON CONFLICT (org_id) DO UPDATE SET seq = audit_heads.seq
		RETURNING seq, hash, checkpoint_seq, checkpoint_at`, orgID, audit.GenesisHash()).
		Scan(&h.Seq, &h.Hash, &h.CheckpointSeq, nullTimeScanner{&at})
	if at != nil {
		h.CheckpointAt = *at
	}
	return h, err
}

// auditErr classifies err and names the step of op that failed.
func auditErr(op string, err error) error {
	if err = classify(err); err == nil {
		return nil
	}
	return errs.Wrap(err, errs.KindOf(err), op)
}

// insertAuditEntries inserts es with multi-row INSERTs.
func insertAuditEntries(ctx context.Context, tx *Tx, es []audit.Entry) error {
	for len(es) > 0 {
		n := min(len(es), auditInsertRows)
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_entries (` + auditEntryColumns + `) VALUES `)
		args := make([]any, 0, n*auditEntryArgs)
		for i, e := range es[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, e.OrgID, e.Seq, tx.d.timeArg(e.Time), e.ActorID, e.ActorRole, e.Action,
				e.ResourceType, e.ResourceID, e.PatientID, string(e.Outcome), string(e.Purpose),
				string(e.Category), e.IP, e.UserAgent, e.RequestID, strings.Join(e.Fields, ","),
				e.DataHash, e.PrevHash, e.Hash)
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return classify(err)
		}
		es = es[n:]
	}
	return nil
}

// PurgeAudit deletes an org's entries up to and including throughSeq and
// its checkpoints before throughSeq; see audit.Store. The append-only
// triggers allow the deletes only inside this transaction: on PostgreSQL
// through SET LOCAL astral.audit_purge, on SQLite through a row in
// audit_purge_guard that the transaction removes again.
func (db *DB) PurgeAudit(ctx context.Context, orgID string, throughSeq int64) (n int64, err error) {
	defer errs.Op(&err, "store.PurgeAudit")
	err = db.InTx(ctx, func(tx *Tx) error {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM audit_checkpoints WHERE org_id = ? AND seq = ?`, orgID, throughSeq).Scan(&one)
		if err = classify(err); errs.Is(err, errs.NotFound) {
			return errs.E(errs.Invalid, "error.invalid")
		} else if err != nil {
			return err
		}
		if err := tx.auditPurgeGuard(ctx, true); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM audit_entries WHERE org_id = ? AND seq <= ?`, orgID, throughSeq)
		if err != nil {
			return classify(err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return classify(err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM audit_checkpoints WHERE org_id = ? AND seq < ?`, orgID, throughSeq); err != nil {
			return classify(err)
		}
		return tx.auditPurgeGuard(ctx, false)
	})
	return n, err
}

// auditPurgeGuard lets the append-only triggers allow deletes (on) until the
// transaction ends, or, on SQLite, until it is turned off again.
func (tx *Tx) auditPurgeGuard(ctx context.Context, on bool) error {
	var q string
	switch {
	case tx.d.numbered && on:
		q = `SET LOCAL astral.audit_purge = 'on'`
	case tx.d.numbered:
		return nil // SET LOCAL ends with the transaction
	case on:
		q = `INSERT INTO audit_purge_guard (id) VALUES (1)`
	default:
		q = `DELETE FROM audit_purge_guard`
	}
	_, err := tx.exec(ctx, q)
	return classify(err)
}
