package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/store"
)

// RunAudit runs the audit log's contract suite: the recorder, verify and
// purge over a real store. newDB is as for Run.
func RunAudit(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"ChainVerifies", testAuditChain},
		{"Search", testAuditSearch},
		{"Tamper", testAuditTamper},
		{"AppendOnly", testAuditAppendOnly},
		{"FailClosed", testAuditFailClosed},
		{"Close", testAuditClose},
		{"Concurrent", testAuditConcurrent},
		{"Purge", testAuditPurge},
		{"PurgeRefusesBrokenChain", testAuditPurgeBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

// wantAuditOK verifies orgID's chain and fails unless it holds n entries.
func wantAuditOK(t *testing.T, v *audit.Verifier, orgID string, n int64) audit.Report {
	t.Helper()
	rep, err := v.Verify(context.Background(), orgID)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() || rep.Entries != n {
		t.Fatalf("Verify = %+v (broken: %+v), want ok with %d entries", rep, rep.Broken, n)
	}
	return rep
}

func testAuditChain(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	v := audit.NewVerifier(db, signer.PublicKey())
	const org1, org2 = "org-one", "org-two"
	SeedAuditChain(t, db, signer, org1, 25)
	SeedAuditChain(t, db, signer, org2, 3)

	rep := wantAuditOK(t, v, org1, 25)
	if rep.FirstSeq != 1 || rep.LastSeq != 25 || rep.LastCheckpointSeq != 25 || rep.Checkpoints != 4 {
		t.Errorf("Verify = %+v, want seqs 1..25 with checkpoints at 1, 11, 21, 25", rep)
	}
	wantAuditOK(t, v, org2, 3)

	es, err := db.AuditEntries(ctx, audit.Filter{OrgID: org1, Limit: audit.MaxLimit})
	if err != nil || len(es) != 25 {
		t.Fatalf("AuditEntries = %d, %v", len(es), err)
	}
	want := AuditEvent(org1, 7)
	e := es[7]
	if e.Seq != 8 || e.ActorID != want.ActorID || e.Action != want.Action || e.PatientID != want.PatientID ||
		e.IP != "192.0.2.7" || e.DataHash != want.DataHash || !slices.Equal(e.Fields, want.Fields) ||
		e.Category != audit.CategoryHealth || e.Time.Location() != time.UTC || e.Time.Nanosecond()%1000 != 0 {
		t.Errorf("entry 8 = %+v, want it to carry event %+v", e, want)
	}
	for i, e := range es {
		if i > 0 && string(e.PrevHash) != string(es[i-1].Hash) {
			t.Errorf("entry %d does not link to entry %d", e.Seq, es[i-1].Seq)
		}
	}

	reports, err := v.VerifyAll(ctx)
	if err != nil || len(reports) != 2 || reports[0].OrgID != org1 || reports[1].OrgID != org2 {
		t.Errorf("VerifyAll = %+v, %v", reports, err)
	}
	// A practice without entries verifies, empty.
	o := MustOrganization(t, db)
	wantAuditOK(t, v, o.ID, 0)

	// Checkpoints from a key the verifier does not trust break the chain.
	rep, err = audit.NewVerifier(db, NewAuditSigner(t).PublicKey()).Verify(ctx, org1)
	if err != nil || rep.OK() || rep.Broken.Reason != audit.ReasonUntrustedKey || rep.Broken.Seq != 1 {
		t.Errorf("Verify with another key = %+v, %v; want untrusted key at seq 1", rep.Broken, err)
	}
}

func testAuditSearch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const org = "org-search"
	SeedAuditChain(t, db, NewAuditSigner(t), org, 12)
	SeedAuditChain(t, db, NewAuditSigner(t), "org-other", 3)
	seqs := func(f audit.Filter) []int64 {
		t.Helper()
		es, err := db.AuditEntries(ctx, f)
		if err != nil {
			t.Fatalf("AuditEntries(%+v): %v", f, err)
		}
		var out []int64
		for _, e := range es {
			if e.OrgID != org {
				t.Errorf("entry of org %s in a search of %s", e.OrgID, org)
			}
			out = append(out, e.Seq)
		}
		return out
	}
	all := seqs(audit.Filter{OrgID: org})
	if len(all) != 12 {
		t.Fatalf("all = %v", all)
	}
	// Events i = seq-1: actor user-(i%3), patient patient-(i%2), action by i%3.
	tests := []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"patient", audit.Filter{OrgID: org, PatientID: ptr("patient-1")}, []int64{2, 4, 6, 8, 10, 12}},
		{"actor", audit.Filter{OrgID: org, ActorID: ptr("user-0")}, []int64{1, 4, 7, 10}},
		{"action", audit.Filter{OrgID: org, Action: ptr("note.write")}, []int64{2, 5, 8, 11}},
		{"actor and patient", audit.Filter{OrgID: org, ActorID: ptr("user-0"), PatientID: ptr("patient-1")}, []int64{4, 10}},
		{"after and limit", audit.Filter{OrgID: org, After: 5, Limit: 3}, []int64{6, 7, 8}},
		{"unknown patient", audit.Filter{OrgID: org, PatientID: ptr("patient-7")}, nil},
	}
	for _, tt := range tests {
		if got := seqs(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: seqs = %v, want %v", tt.name, got, tt.want)
		}
	}
	es, _ := db.AuditEntries(ctx, audit.Filter{OrgID: org})
	from, to := es[3].Time, es[6].Time
	if got := seqs(audit.Filter{OrgID: org, From: &from, To: &to}); len(got) == 0 || got[0] > 4 || got[len(got)-1] > 7 {
		t.Errorf("time range = %v, want a part of 4..7", got)
	}
	future := time.Now().Add(time.Hour)
	if got := seqs(audit.Filter{OrgID: org, From: &future}); len(got) != 0 {
		t.Errorf("future = %v", got)
	}
	for _, f := range []audit.Filter{
		{},
		{OrgID: org, Limit: audit.MaxLimit + 1},
		{OrgID: org, After: -1},
		{OrgID: org, PatientID: ptr("")},
		{OrgID: org, ActorID: ptr("jane@example.org")},
		{OrgID: org, From: &to, To: &from},
	} {
		if _, err := db.AuditEntries(ctx, f); !errs.Is(err, errs.Invalid) {
			t.Errorf("AuditEntries(%+v) = %v, want Invalid", f, err)
		}
	}
}

func testAuditTamper(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	v := audit.NewVerifier(db, signer.PublicKey())
	for i, tt := range AuditTampers() {
		t.Run(tt.Name, func(t *testing.T) {
			org := fmt.Sprintf("org-tamper-%d", i)
			SeedAuditChain(t, db, signer, org, AuditTamperEntries)
			wantAuditOK(t, v, org, AuditTamperEntries)
			WithoutAuditTriggers(t, db, func() { tt.Apply(t, db, org) })
			rep, err := v.Verify(ctx, org)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.OK() || rep.Broken.Seq != tt.Seq || rep.Broken.Reason != tt.Reason {
				t.Fatalf("Verify = %+v, broken %+v; want %s at seq %d", rep, rep.Broken, tt.Reason, tt.Seq)
			}
			t.Logf("BROKEN at seq %d: %s", rep.Broken.Seq, rep.Broken.Detail)
		})
	}
}

// testAuditAppendOnly shows that the app's own connection cannot change or
// remove audit rows: the triggers refuse.
func testAuditAppendOnly(t *testing.T, db *store.DB) {
	const org = "org-append-only"
	signer := NewAuditSigner(t)
	SeedAuditChain(t, db, signer, org, 3)
	for _, q := range []string{
		`UPDATE audit_entries SET action = 'patient.write' WHERE org_id = ?`,
		`DELETE FROM audit_entries WHERE org_id = ?`,
		`UPDATE audit_checkpoints SET seq = seq WHERE org_id = ?`,
		`DELETE FROM audit_checkpoints WHERE org_id = ?`,
	} {
		if err := rawExec(db, q, org); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	if db.Driver() == store.DriverPostgres {
		for _, q := range []string{`TRUNCATE audit_entries`, `TRUNCATE audit_checkpoints`} {
			if err := rawExec(db, q); err == nil {
				t.Errorf("%s succeeded", q)
			}
		}
	}
	wantAuditOK(t, audit.NewVerifier(db, signer.PublicKey()), org, 3)
}

func testAuditFailClosed(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := NewAuditRecorder(t, db, NewAuditSigner(t), audit.Options{})
	if err := r.Record(ctx, AuditEvent("org-fail", 1)); err != nil {
		t.Fatalf("Record: %v", err)
	}
	bad := AuditEvent("org-fail", 2)
	bad.UserAgent = "line\nbreak"
	bad.PatientID = "Jane Doe"
	err := r.Record(ctx, bad)
	wantKind(t, err, errs.Invalid)
	wantField(t, err, "user_agent", "field.invalid_format")
	wantField(t, err, "patient_id", "field.invalid_format")

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := r.Record(ctx, AuditEvent("org-fail", i))
		wantKind(t, err, errs.Unavailable)
		if _, msg, _, _ := errs.Public(err); msg != "error.audit_unavailable" {
			t.Errorf("message = %q", msg)
		}
	}
}

func testAuditClose(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	r := NewAuditRecorder(t, db, signer, audit.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 50 {
		wg.Go(func() {
			if err := r.Record(ctx, AuditEvent("org-close", i)); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := r.Record(ctx, AuditEvent("org-close", 99))
	wantKind(t, err, errs.Unavailable)
	rep := wantAuditOK(t, audit.NewVerifier(db, signer.PublicKey()), "org-close", int64(ok))
	if ok != 50 || rep.LastCheckpointSeq != 50 {
		t.Errorf("%d recorded, last checkpoint at %d; want 50 and 50 (Close signs one)", ok, rep.LastCheckpointSeq)
	}

	// A cancelled context gives up without a nil error.
	r2 := NewAuditRecorder(t, db, signer, audit.Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := r2.Record(cctx, AuditEvent("org-close", 100)); err == nil {
		// It may have won the race to the queue and committed: then the
		// chain must show it.
		wantAuditOK(t, audit.NewVerifier(db, signer.PublicKey()), "org-close", 51)
	}
}

func testAuditConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	r := NewAuditRecorder(t, db, signer, audit.Options{CheckpointEvery: 100})
	orgs := []string{"org-c-0", "org-c-1", "org-c-2"}
	const writers, each = 32, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := r.Record(ctx, AuditEvent(orgs[(w+i)%3], i)); err != nil {
					t.Errorf("Record: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	v := audit.NewVerifier(db, signer.PublicKey())
	var total int64
	for _, org := range orgs {
		rep, err := v.Verify(ctx, org)
		if err != nil || !rep.OK() || rep.FirstSeq != 1 || rep.LastSeq != rep.Entries || rep.LastCheckpointSeq != rep.LastSeq {
			t.Errorf("Verify(%s) = %+v, %v", org, rep, err)
		}
		total += rep.Entries
	}
	if total != writers*each {
		t.Errorf("%d entries in all, want %d", total, writers*each)
	}
}

func testAuditPurge(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	const org = "org-purge"
	start := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	r := NewAuditRecorder(t, db, signer, audit.Options{Now: clock, CheckpointEvery: 10,
		Retention: map[audit.Category]time.Duration{audit.CategoryAuthentication: 24 * time.Hour}})
	record := func(cat audit.Category, n int) {
		for i := range n {
			ev := AuditEvent(org, i)
			ev.Category = cat
			if err := r.Record(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Seqs 1-25 authentication (kept a day), 26 health (kept 10 years),
	// 27-40 authentication. Checkpoints at 1, 11, 21, 31.
	record(audit.CategoryAuthentication, 25)
	record(audit.CategoryHealth, 1)
	record(audit.CategoryAuthentication, 14)
	v := audit.NewVerifier(db, signer.PublicKey())
	wantAuditOK(t, v, org, 40)

	// Nothing has expired yet.
	res, err := r.Purge(ctx, org)
	if err != nil || res.Through != 0 {
		t.Fatalf("early Purge = %+v, %v", res, err)
	}

	// Two days on, 1-25 have expired; the newest checkpoint within them
	// is 21, so 1-21 go and 22-25 stay with the young health entry.
	set(start.Add(48 * time.Hour))
	res, err = r.Purge(ctx, org)
	if err != nil || res.Through != 21 || res.Entries != 21 {
		t.Fatalf("Purge = %+v, %v; want through 21", res, err)
	}
	rep := wantAuditOK(t, v, org, 40-21+1) // plus the purge's own entry
	if rep.FirstSeq != 22 || rep.LastSeq != 41 {
		t.Errorf("after Purge: %+v", rep)
	}
	es, err := db.AuditEntries(ctx, audit.Filter{OrgID: org, After: 40})
	if err != nil || len(es) != 1 || es[0].Action != "audit.purge" || es[0].ResourceID != "1-21" ||
		es[0].Purpose != audit.PurposeSystem || es[0].Outcome != audit.Success {
		t.Errorf("purge entry = %+v, %v", es, err)
	}
	cps, err := db.AuditCheckpoints(ctx, org)
	if err != nil || len(cps) == 0 || cps[0].Seq != 21 {
		t.Errorf("checkpoints after purge = %+v, %v; want the first at 21", cps, err)
	}

	// Purging again removes nothing: 26 (health) blocks the prefix.
	if res, err := r.Purge(ctx, org); err != nil || res.Through != 0 {
		t.Errorf("second Purge = %+v, %v", res, err)
	}

	// Eleven years on, everything has expired up to the newest checkpoint.
	set(start.Add(11 * 366 * 24 * time.Hour))
	if err := r.Close(); err != nil { // signs a checkpoint at 41
		t.Fatal(err)
	}
	r2 := NewAuditRecorder(t, db, signer, audit.Options{Now: clock})
	res, err = r2.Purge(ctx, org)
	if err != nil || res.Through != 41 || res.Entries != 20 {
		t.Fatalf("late Purge = %+v, %v; want through 41", res, err)
	}
	rep = wantAuditOK(t, v, org, 1)
	if rep.FirstSeq != 42 {
		t.Errorf("after late Purge: %+v", rep)
	}

	// The store refuses a cut that is not at a checkpoint.
	_, err = db.PurgeAudit(ctx, org, 40)
	wantKind(t, err, errs.Invalid)
}

func testAuditPurgeBroken(t *testing.T, db *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	const org = "org-purge-broken"
	SeedAuditChain(t, db, signer, org, 30)
	WithoutAuditTriggers(t, db, func() {
		mustExec(t, db, `UPDATE audit_entries SET action = 'patient.write' WHERE org_id = ? AND seq = 5`, org)
	})
	r := NewAuditRecorder(t, db, signer, audit.Options{Now: func() time.Time { return time.Now().Add(20 * 366 * 24 * time.Hour) }})
	_, err := r.Purge(ctx, org)
	wantKind(t, err, errs.Conflict)
	if n, _ := db.AuditEntries(ctx, audit.Filter{OrgID: org, Limit: audit.MaxLimit}); len(n) != 30 {
		t.Errorf("%d entries after a refused purge, want 30", len(n))
	}
}

// AuditTwoWriters appends to one practice's chain through two handles on the
// same database at once, as two instances would, and checks that the chain
// stays one valid chain.
func AuditTwoWriters(t *testing.T, a, b *store.DB) {
	ctx := context.Background()
	signer := NewAuditSigner(t)
	const org = "org-two-writers"
	const writers, each = 8, 100
	var wg sync.WaitGroup
	for _, db := range []*store.DB{a, b} {
		r := NewAuditRecorder(t, db, signer, audit.Options{CheckpointEvery: 50})
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					if err := r.Record(ctx, AuditEvent(org, w*each+i)); err != nil {
						t.Errorf("Record: %v", err)
						return
					}
				}
			})
		}
		t.Cleanup(func() { _ = r.Close() })
	}
	wg.Wait()
	rep := wantAuditOK(t, audit.NewVerifier(a, signer.PublicKey()), org, 2*writers*each)
	if rep.LastSeq != 2*writers*each {
		t.Errorf("Verify = %+v", rep)
	}
}
