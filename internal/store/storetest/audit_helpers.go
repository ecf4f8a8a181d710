package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"testing"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/store"
)

// NewAuditSigner returns a signer with a random key.
func NewAuditSigner(tb testing.TB) *audit.Signer {
	tb.Helper()
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	s, err := audit.NewSigner(seed)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// NewAuditRecorder returns a recorder over db, closed when the test ends
// (closing it twice is fine).
func NewAuditRecorder(tb testing.TB, db *store.DB, signer *audit.Signer, opts audit.Options) *audit.Recorder {
	tb.Helper()
	r, err := audit.NewRecorder(db, signer, opts)
	if err != nil {
		tb.Fatalf("NewRecorder: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// AuditEvent returns a valid event for orgID; i varies the actor, patient
// and action so that searches have something to find.
func AuditEvent(orgID string, i int) audit.Event {
	return audit.Event{
		OrgID:        orgID,
		ActorID:      fmt.Sprintf("user-%d", i%3),
		ActorRole:    "therapist",
		Action:       []string{"patient.read", "note.write", "auth.login"}[i%3],
		ResourceType: "note",
		ResourceID:   fmt.Sprintf("note-%d", i),
		PatientID:    fmt.Sprintf("patient-%d", i%2),
		Outcome:      audit.Success,
		Purpose:      audit.PurposeNormal,
		Category:     audit.CategoryHealth,
		IP:           netip.MustParseAddr("192.0.2.7"),
		UserAgent:    "Mozilla/5.0 (test)",
		RequestID:    fmt.Sprintf("req-%d", i),
		Fields:       []string{"note.body", "note.title"},
		DataHash:     audit.HashData([]byte(fmt.Sprint("data ", i))),
	}
}

// SeedAuditChain records n events for orgID one at a time with a recorder
// that checkpoints every 10 entries, then closes it, which signs a final
// checkpoint at seq n. The checkpoints fall at seqs 1, 11, 21, ... and n.
func SeedAuditChain(tb testing.TB, db *store.DB, signer *audit.Signer, orgID string, n int) {
	tb.Helper()
	r := NewAuditRecorder(tb, db, signer, audit.Options{CheckpointEvery: 10})
	for i := range n {
		if err := r.Record(context.Background(), AuditEvent(orgID, i)); err != nil {
			tb.Fatalf("Record %d: %v", i, err)
		}
	}
	if err := r.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// WithoutAuditTriggers runs fn with the append-only triggers out of the way,
// as an attacker with full database access would, and puts them back.
func WithoutAuditTriggers(tb testing.TB, db *store.DB, fn func()) {
	tb.Helper()
	ctx := context.Background()
	if db.Driver() == store.DriverPostgres {
		for _, t := range []string{"audit_entries", "audit_checkpoints"} {
			mustExec(tb, db, `ALTER TABLE `+t+` DISABLE TRIGGER USER`)
			defer mustExec(tb, db, `ALTER TABLE `+t+` ENABLE TRIGGER USER`)
		}
		fn()
		return
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'trigger' AND tbl_name IN ('audit_entries', 'audit_checkpoints')`)
	if err != nil {
		tb.Fatal(err)
	}
	var names, ddl []string
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			tb.Fatal(err)
		}
		names, ddl = append(names, n), append(ddl, s)
	}
	if err := rows.Close(); err != nil || len(names) == 0 {
		tb.Fatalf("audit triggers: %v (found %d)", err, len(names))
	}
	for _, n := range names {
		mustExec(tb, db, `DROP TRIGGER `+n)
	}
	defer func() {
		for _, s := range ddl {
			mustExec(tb, db, s)
		}
	}()
	fn()
}

// mustExec runs a query with ? placeholders on the raw pool.
func mustExec(tb testing.TB, db *store.DB, query string, args ...any) {
	tb.Helper()
	if err := rawExec(db, query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// auditEntry reads one entry back.
func auditEntry(tb testing.TB, db *store.DB, orgID string, seq int64) audit.Entry {
	tb.Helper()
	es, err := db.AuditEntries(context.Background(), audit.Filter{OrgID: orgID, After: seq - 1, Limit: 1})
	if err != nil || len(es) != 1 || es[0].Seq != seq {
		tb.Fatalf("entry %d: %v, %v", seq, es, err)
	}
	return es[0]
}

// AuditTamper is one way an attacker with database access changes a chain
// that SeedAuditChain made with 30 entries, and what verify must report.
type AuditTamper struct {
	Name   string
	Seq    int64 // the first broken seq Verify must report
	Reason audit.Reason
	Apply  func(tb testing.TB, db *store.DB, orgID string)
}

// AuditTamperEntries is how many entries the chain AuditTampers expect has.
const AuditTamperEntries = 30

// AuditTampers lists the attacks; each runs with the triggers out of the way.
func AuditTampers() []AuditTamper {
	return []AuditTamper{
		{"edit a field", 15, audit.ReasonEdited, func(tb testing.TB, db *store.DB, org string) {
			mustExec(tb, db, `UPDATE audit_entries SET patient_id = 'patient-9' WHERE org_id = ? AND seq = 15`, org)
		}},
		{"delete an entry", 15, audit.ReasonDeleted, func(tb testing.TB, db *store.DB, org string) {
			mustExec(tb, db, `DELETE FROM audit_entries WHERE org_id = ? AND seq = 15`, org)
		}},
		{"delete and renumber", 15, audit.ReasonDeleted, func(tb testing.TB, db *store.DB, org string) {
			mustExec(tb, db, `DELETE FROM audit_entries WHERE org_id = ? AND seq = 15`, org)
			for s := 16; s <= AuditTamperEntries; s++ {
				mustExec(tb, db, `UPDATE audit_entries SET seq = ? WHERE org_id = ? AND seq = ?`, s-1, org, s)
			}
		}},
		{"insert a forged entry", 15, audit.ReasonInserted, func(tb testing.TB, db *store.DB, org string) {
			// A careful forger: renumbers the rest and chains the forged
			// entry correctly to its predecessor.
			prev := auditEntry(tb, db, org, 14)
			for s := AuditTamperEntries; s >= 15; s-- {
				mustExec(tb, db, `UPDATE audit_entries SET seq = ? WHERE org_id = ? AND seq = ?`, s+1, org, s)
			}
			forged := prev
			forged.Seq, forged.PrevHash, forged.ResourceID = 15, prev.Hash, "note-forged"
			forged.Hash = audit.EntryHash(forged)
			insertRawEntry(tb, db, forged)
		}},
		{"swap two entries", 15, audit.ReasonReordered, func(tb testing.TB, db *store.DB, org string) {
			mustExec(tb, db, `UPDATE audit_entries SET seq = 1000000 WHERE org_id = ? AND seq = 15`, org)
			mustExec(tb, db, `UPDATE audit_entries SET seq = 15 WHERE org_id = ? AND seq = 16`, org)
			mustExec(tb, db, `UPDATE audit_entries SET seq = 16 WHERE org_id = ? AND seq = 1000000`, org)
		}},
		{"forge a checkpoint signature", 21, audit.ReasonBadSignature, func(tb testing.TB, db *store.DB, org string) {
			sig := make([]byte, 64)
			_, _ = rand.Read(sig)
			mustExec(tb, db, `UPDATE audit_checkpoints SET signature = ? WHERE org_id = ? AND seq = 21`, sig, org)
		}},
		{"re-sign a rewritten chain with another key", 21, audit.ReasonUntrustedKey, func(tb testing.TB, db *store.DB, org string) {
			// Edit entry 15, recompute every hash after it, and sign new
			// checkpoints with the attacker's own key.
			rewriteFrom(tb, db, org, 15, NewAuditSigner(tb))
		}},
		{"rewrite the chain without the key", 21, audit.ReasonCheckpointMismatch, func(tb testing.TB, db *store.DB, org string) {
			rewriteFrom(tb, db, org, 15, nil)
		}},
		{"delete the newest entries", 28, audit.ReasonTruncated, func(tb testing.TB, db *store.DB, org string) {
			mustExec(tb, db, `DELETE FROM audit_entries WHERE org_id = ? AND seq >= 28`, org)
		}},
	}
}

// rewriteFrom edits entry seq and recomputes the hashes of it and all later
// entries, and of the head. With a signer it also replaces every checkpoint
// from seq on with one signed by that (untrusted) key.
func rewriteFrom(tb testing.TB, db *store.DB, org string, seq int64, signer *audit.Signer) {
	tb.Helper()
	es, err := db.AuditEntries(context.Background(), audit.Filter{OrgID: org, Limit: audit.MaxLimit})
	if err != nil {
		tb.Fatal(err)
	}
	prev := es[seq-2].Hash
	for _, e := range es[seq-1:] {
		if e.Seq == seq {
			e.PatientID = "patient-9"
		}
		e.PrevHash = prev
		e.Hash = audit.EntryHash(e)
		prev = e.Hash
		mustExec(tb, db, `UPDATE audit_entries SET patient_id = ?, prev_hash = ?, hash = ? WHERE org_id = ? AND seq = ?`,
			e.PatientID, e.PrevHash, e.Hash, org, e.Seq)
		es[e.Seq-1] = e
	}
	mustExec(tb, db, `UPDATE audit_heads SET hash = ? WHERE org_id = ?`, prev, org)
	if signer == nil {
		return
	}
	cps, err := db.AuditCheckpoints(context.Background(), org)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cps {
		if c.Seq < seq {
			continue
		}
		h := es[c.Seq-1].Hash
		sig := signer.Sign(org, c.Seq, h, c.Time)
		mustExec(tb, db, `UPDATE audit_checkpoints SET hash = ?, key_id = ?, public_key = ?, signature = ? WHERE org_id = ? AND seq = ?`,
			h, sig.KeyID, sig.PublicKey, sig.Signature, org, c.Seq)
	}
}

// insertRawEntry writes e as it is, bypassing the recorder.
func insertRawEntry(tb testing.TB, db *store.DB, e audit.Entry) {
	tb.Helper()
	var at any = e.Time.UTC()
	if db.Driver() == store.DriverSQLite {
		at = e.Time.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	fields := ""
	for i, f := range e.Fields {
		if i > 0 {
			fields += ","
		}
		fields += f
	}
	mustExec(tb, db, `INSERT INTO audit_entries (org_id, seq, created_at, actor_id, actor_role, action,
		resource_type, resource_id, patient_id, outcome, purpose, category, ip, user_agent, request_id,
		fields, data_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.OrgID, e.Seq, at, e.ActorID, e.ActorRole, e.Action, e.ResourceType, e.ResourceID, e.PatientID,
		string(e.Outcome), string(e.Purpose), string(e.Category), e.IP, e.UserAgent, e.RequestID,
		fields, e.DataHash, e.PrevHash, e.Hash)
}
