package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store"
)

// jobEpoch is where every job test's clock starts.
var jobEpoch = time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)

// RunJobs runs the job queue's contract suite. newOpener must make a fresh,
// migrated, empty database for the test and return an Opener whose handles
// read the clock now, like SQLiteOpener and PostgresOpener.
func RunJobs(t *testing.T, newOpener func(tb testing.TB, now func() time.Time) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, clock *JobClock, open Opener)
	}{
		{"EnqueueClaimComplete", testJobEnqueueClaimComplete},
		{"EnqueueInvalid", testJobEnqueueInvalid},
		{"EnqueueInTx", testJobEnqueueInTx},
		{"UniqueKey", testJobUniqueKey},
		{"UniqueKeyConcurrent", testJobUniqueKeyConcurrent},
		{"RetryAndDead", testJobRetryAndDead},
		{"LeaseExpiry", testJobLeaseExpiry},
		{"ConcurrentClaims", testJobConcurrentClaims},
		{"Effects", testJobEffects},
		{"SchemaRules", testJobSchemaRules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := NewJobClock(jobEpoch)
			tt.fn(t, clock, newOpener(t, clock.Now))
		})
	}
}

// mustEnqueue enqueues nj or fails the test.
func mustEnqueue(t *testing.T, db *store.DB, nj jobs.NewJob) jobs.Job {
	t.Helper()
	j, err := db.EnqueueJob(context.Background(), nj)
	if err != nil {
		t.Fatalf("EnqueueJob(%s): %v", nj.Kind, err)
	}
	return j
}

// mustClaim claims up to limit jobs of kinds or fails the test.
func mustClaim(t *testing.T, db *store.DB, worker string, limit int, kinds ...string) []jobs.Job {
	t.Helper()
	js, err := db.ClaimJobs(context.Background(), worker, kinds, limit, time.Minute)
	if err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	}
	return js
}

// jobStatus returns job id's status or fails the test.
func jobStatus(t *testing.T, db *store.DB, id string) jobs.Status {
	t.Helper()
	st, err := db.JobStatus(context.Background(), id)
	if err != nil {
		t.Fatalf("JobStatus: %v", err)
	}
	return st
}

// wantStats fails the test unless the counts by state are want.
func wantStats(t *testing.T, db *store.DB, want map[jobs.State]int) {
	t.Helper()
	got, err := db.JobStats(context.Background())
	if err != nil {
		t.Fatalf("JobStats: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JobStats (-want +got):\n%s", diff)
	}
}

func testJobEnqueueClaimComplete(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	org := MustOrganization(t, db)
	now := clock.Now()
	j := mustEnqueue(t, db, jobs.NewJob{Kind: "email.send", OrgID: org.ID, Payload: []byte(`{"message_id":"m1"}`)})
	want := jobs.Job{ID: j.ID, OrgID: org.ID, Kind: "email.send", Payload: []byte(`{"message_id":"m1"}`),
		RunAt: now, MaxAttempts: jobs.DefaultMaxAttempts}
	if diff := cmp.Diff(want, j); diff != "" {
		t.Errorf("EnqueueJob (-want +got):\n%s", diff)
	}
	// A system job, due later, with the default payload.
	later := mustEnqueue(t, db, jobs.NewJob{Kind: "audit.purge", RunAt: now.Add(time.Hour), MaxAttempts: 3})
	if later.OrgID != "" || string(later.Payload) != "{}" || !later.RunAt.Equal(now.Add(time.Hour)) {
		t.Errorf("system job = %+v", later)
	}
	other := mustEnqueue(t, db, jobs.NewJob{Kind: "other.kind"})
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 3, jobs.StateRunning: 0, jobs.StateDone: 0, jobs.StateDead: 0})

	// Only due jobs of the asked kinds are claimed.
	got := mustClaim(t, db, "w1", 10, "email.send", "audit.purge")
	want.Attempts = 1
	if diff := cmp.Diff([]jobs.Job{want}, got); diff != "" {
		t.Fatalf("ClaimJobs (-want +got):\n%s", diff)
	}
	st := jobStatus(t, db, j.ID)
	if st.State != jobs.StateRunning || st.LockedBy != "w1" || st.LockedUntil == nil ||
		!st.LockedUntil.Equal(now.Add(time.Minute)) || st.DoneAt != nil {
		t.Errorf("claimed status = %+v", st)
	}
	if got := mustClaim(t, db, "w2", 10, "email.send", "audit.purge"); len(got) != 0 {
		t.Errorf("second claim = %+v, want nothing: the job is leased", got)
	}

	clock.Advance(time.Second)
	if err := db.CompleteJob(ctx, got[0].ClaimBy("w1")); err != nil {
		t.Fatalf("CompleteJob: %v", err)
	}
	st = jobStatus(t, db, j.ID)
	if st.State != jobs.StateDone || st.LockedBy != "" || st.LockedUntil != nil || st.DoneAt == nil ||
		!st.DoneAt.Equal(clock.Now()) || !st.UpdatedAt.Equal(clock.Now()) || !st.CreatedAt.Equal(now) {
		t.Errorf("done status = %+v", st)
	}
	// Completing twice is a lost lease.
	err := db.CompleteJob(ctx, got[0].ClaimBy("w1"))
	wantKind(t, err, errs.Conflict)
	if !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("second CompleteJob = %v, want ErrLeaseLost", err)
	}

	// The later job becomes due with time.
	clock.Advance(time.Hour)
	if got := mustClaim(t, db, "w1", 10, "audit.purge"); len(got) != 1 || got[0].ID != later.ID {
		t.Errorf("claim after an hour = %+v, want the later job", got)
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 1, jobs.StateRunning: 1, jobs.StateDone: 1, jobs.StateDead: 0})
	if st := jobStatus(t, db, other.ID); st.State != jobs.StateQueued || st.Attempts != 0 {
		t.Errorf("unclaimed kind = %+v, want queued untouched", st)
	}
	_, err = db.JobStatus(ctx, "no-such-job")
	wantKind(t, err, errs.NotFound)
}

func testJobEnqueueInvalid(t *testing.T, clock *JobClock, open Opener) {
	db := open()
	tests := []struct {
		name      string
		nj        jobs.NewJob
		field     string
		wantField string
	}{
		{"no kind", jobs.NewJob{}, "kind", "field.required"},
		{"bad kind", jobs.NewJob{Kind: "Email Send"}, "kind", "field.invalid_format"},
		{"long kind", jobs.NewJob{Kind: string(make([]byte, 101))}, "kind", "field.too_long"},
		{"bad payload", jobs.NewJob{Kind: "k", Payload: []byte(`{"a":`)}, "payload", "field.invalid_format"},
		{"big payload", jobs.NewJob{Kind: "k", Payload: make([]byte, jobs.MaxPayload+1)}, "payload", "field.too_long"},
		{"attempts", jobs.NewJob{Kind: "k", MaxAttempts: 101}, "max_attempts", "field.out_of_range"},
		{"negative attempts", jobs.NewJob{Kind: "k", MaxAttempts: -1}, "max_attempts", "field.out_of_range"},
		{"long key", jobs.NewJob{Kind: "k", UniqueKey: string(make([]byte, 201))}, "unique_key", "field.too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.EnqueueJob(context.Background(), tt.nj)
			wantKind(t, err, errs.Invalid)
			wantField(t, err, tt.field, tt.wantField)
		})
	}
	// The schema rejects an unknown practice.
	_, err := db.EnqueueJob(context.Background(), jobs.NewJob{Kind: "k", OrgID: "no-such-org"})
	wantKind(t, err, errs.Invalid)
	// Bad claims.
	for _, c := range []struct {
		worker string
		limit  int
		lease  time.Duration
	}{{"", 1, time.Minute}, {"w", 0, time.Minute}, {"w", 1, 0}} {
		_, err := db.ClaimJobs(context.Background(), c.worker, []string{"k"}, c.limit, c.lease)
		wantKind(t, err, errs.Invalid)
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 0, jobs.StateRunning: 0, jobs.StateDone: 0, jobs.StateDead: 0})
}

// testJobEnqueueInTx enqueues inside a domain transaction: the job exists
// exactly when the transaction commits.
func testJobEnqueueInTx(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.EnqueueJob(ctx, jobs.NewJob{Kind: "email.send", UniqueKey: "rolled-back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 0, jobs.StateRunning: 0, jobs.StateDone: 0, jobs.StateDead: 0})
	var j jobs.Job
	err = db.InTx(ctx, func(tx *store.Tx) (err error) {
		j, err = tx.EnqueueJob(ctx, jobs.NewJob{Kind: "email.send", UniqueKey: "rolled-back"})
		return err
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if st := jobStatus(t, db, j.ID); st.State != jobs.StateQueued || st.UniqueKey != "rolled-back" {
		t.Errorf("committed job = %+v", st)
	}
}
