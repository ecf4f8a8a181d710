package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
	"github.com/astralcore/astral/internal/store"
)

func testJobUniqueKey(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	org := MustOrganization(t, db)
	nj := jobs.NewJob{Kind: "reminder.send", OrgID: org.ID, Payload: []byte(`{"appointment_id":"a1"}`),
		UniqueKey: "reminder:a1:24h"}
	first := mustEnqueue(t, db, nj)
	// Even once the first job is done, the key still names it.
	claimed := mustClaim(t, db, "w", 1, "reminder.send")
	if err := db.CompleteJob(ctx, claimed[0].ClaimBy("w")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	again := mustEnqueue(t, db, nj)
	if again.ID != first.ID || again.Attempts != 1 {
		t.Errorf("second enqueue = %+v, want the first job %s", again, first.ID)
	}
	// The same key for another kind or practice is a conflict, not a
	// silent alias of someone else's job.
	for _, bad := range []jobs.NewJob{
		{Kind: "email.send", OrgID: org.ID, UniqueKey: nj.UniqueKey},
		{Kind: nj.Kind, UniqueKey: nj.UniqueKey},
	} {
		_, err := db.EnqueueJob(ctx, bad)
		wantKind(t, err, errs.Conflict)
	}
	// Jobs without a key never collide.
	a := mustEnqueue(t, db, jobs.NewJob{Kind: "reminder.send"})
	b := mustEnqueue(t, db, jobs.NewJob{Kind: "reminder.send"})
	if a.ID == b.ID {
		t.Error("two jobs without a key share an id")
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 2, jobs.StateRunning: 0, jobs.StateDone: 1, jobs.StateDead: 0})
}

// testJobUniqueKeyConcurrent enqueues one key from 50 goroutines at once:
// exactly one row, and every caller gets it.
func testJobUniqueKeyConcurrent(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j, err := db.EnqueueJob(ctx, jobs.NewJob{Kind: "reminder.send", UniqueKey: "reminder:a1:1h"})
			if err != nil {
				t.Errorf("EnqueueJob: %v", err)
			}
			ids[i] = j.ID
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("enqueue %d got job %q, enqueue 0 got %q", i, ids[i], ids[0])
		}
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 1, jobs.StateRunning: 0, jobs.StateDone: 0, jobs.StateDead: 0})
}

func testJobRetryAndDead(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	j := mustEnqueue(t, db, jobs.NewJob{Kind: "email.send", MaxAttempts: 2})
	c := mustClaim(t, db, "w", 1, "email.send")[0].ClaimBy("w")
	fail := jobs.Failure{Kind: "unavailable", Op: "notify.Send"}
	if err := db.RetryJob(ctx, c, 30*time.Second, fail); err != nil {
		t.Fatalf("RetryJob: %v", err)
	}
	st := jobStatus(t, db, j.ID)
	if st.State != jobs.StateQueued || st.Attempts != 1 || !st.RunAt.Equal(clock.Now().Add(30*time.Second)) ||
		st.LastError != fail || st.LockedBy != "" || st.LockedUntil != nil {
		t.Errorf("after RetryJob: %+v", st)
	}
	// Not due until the delay has passed.
	clock.Advance(30*time.Second - time.Microsecond)
	if got := mustClaim(t, db, "w", 1, "email.send"); len(got) != 0 {
		t.Fatalf("claimed before the backoff ended: %+v", got)
	}
	clock.Advance(time.Microsecond)
	got := mustClaim(t, db, "w", 1, "email.send")
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim after the backoff = %+v, want attempt 2", got)
	}
	// The first attempt's claim cannot settle the second.
	err := db.MarkJobDead(ctx, c, fail)
	if !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("MarkJobDead with a stale claim = %v, want ErrLeaseLost", err)
	}
	dead := jobs.Failure{Kind: "invalid", Op: "notify.Render"}
	if err := db.MarkJobDead(ctx, got[0].ClaimBy("w"), dead); err != nil {
		t.Fatalf("MarkJobDead: %v", err)
	}
	st = jobStatus(t, db, j.ID)
	if st.State != jobs.StateDead || st.LastError != dead || st.DoneAt == nil || !st.DoneAt.Equal(clock.Now()) {
		t.Errorf("after MarkJobDead: %+v", st)
	}
	clock.Advance(time.Hour)
	if got := mustClaim(t, db, "w", 1, "email.send"); len(got) != 0 {
		t.Errorf("a dead job was claimed: %+v", got)
	}
	// Another worker's name cannot settle a claim either.
	mustEnqueue(t, db, jobs.NewJob{Kind: "email.send"})
	c2 := mustClaim(t, db, "w", 1, "email.send")[0].ClaimBy("w")
	c2.Worker = "intruder"
	wantKind(t, db.CompleteJob(ctx, c2), errs.Conflict)
}

func testJobLeaseExpiry(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	j := mustEnqueue(t, db, jobs.NewJob{Kind: "email.send", MaxAttempts: 2})
	a := mustClaim(t, db, "a", 1, "email.send") // lease: one minute
	clock.Advance(time.Minute - time.Microsecond)
	if got := mustClaim(t, db, "b", 1, "email.send"); len(got) != 0 {
		t.Fatalf("claimed during the lease: %+v", got)
	}
	// Worker a died; its lease ends and b reclaims the job.
	clock.Advance(time.Microsecond)
	b := mustClaim(t, db, "b", 1, "email.send")
	if len(b) != 1 || b[0].ID != j.ID || b[0].Attempts != 2 {
		t.Fatalf("reclaim = %+v, want attempt 2 of %s", b, j.ID)
	}
	if st := jobStatus(t, db, j.ID); st.LockedBy != "b" {
		t.Errorf("locked_by = %q, want b", st.LockedBy)
	}
	// a comes back to life: its outcome is refused.
	if err := db.CompleteJob(ctx, a[0].ClaimBy("a")); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("CompleteJob by the expired claim = %v, want ErrLeaseLost", err)
	}
	// b dies too, on the last attempt: the job is dead, not run a third time.
	clock.Advance(time.Minute)
	if got := mustClaim(t, db, "c", 1, "email.send"); len(got) != 0 {
		t.Errorf("claimed past max attempts: %+v", got)
	}
	st := jobStatus(t, db, j.ID)
	if st.State != jobs.StateDead || st.LastError.Kind != jobs.FailureLeaseExpired || st.Attempts != 2 {
		t.Errorf("after the last lease ended: %+v", st)
	}
}

// testJobConcurrentClaims has 50 workers claim from 200 jobs at once:
// every job is claimed, and completed, exactly once.
func testJobConcurrentClaims(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	const nJobs, workers = 200, 50
	for i := range nJobs {
		mustEnqueue(t, db, jobs.NewJob{Kind: "work", Payload: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	var (
		mu   sync.Mutex
		runs = map[string]int{}
		wg   sync.WaitGroup
	)
	for w := range workers {
		worker := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				js, err := db.ClaimJobs(ctx, worker, []string{"work"}, 1+w%3, time.Hour)
				if err != nil {
					t.Errorf("ClaimJobs: %v", err)
					return
				}
				if len(js) == 0 {
					return
				}
				for _, j := range js {
					mu.Lock()
					runs[j.ID]++
					mu.Unlock()
					if err := db.CompleteJob(ctx, j.ClaimBy(worker)); err != nil {
						t.Errorf("CompleteJob: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(runs) != nJobs {
		t.Errorf("%d jobs ran, want %d", len(runs), nJobs)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("job %s ran %d times", id, n)
		}
	}
	wantStats(t, db, map[jobs.State]int{jobs.StateQueued: 0, jobs.StateRunning: 0, jobs.StateDone: nJobs, jobs.StateDead: 0})
}

func testJobEffects(t *testing.T, clock *JobClock, open Opener) {
	ctx := context.Background()
	db := open()
	mark := func(key string) bool {
		t.Helper()
		first, err := db.MarkJobEffect(ctx, key)
		if err != nil {
			t.Fatalf("MarkJobEffect: %v", err)
		}
		return first
	}
	done := func(key string) bool {
		t.Helper()
		ok, err := db.JobEffectDone(ctx, key)
		if err != nil {
			t.Fatalf("JobEffectDone: %v", err)
		}
		return ok
	}
	if done("email:1") {
		t.Error("unmarked effect is done")
	}
	if !mark("email:1") || mark("email:1") || !done("email:1") {
		t.Error("want the first mark to be first, the second not, and the effect done")
	}
	// In a transaction that rolls back, the mark goes too.
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if first, err := tx.MarkJobEffect(ctx, "email:2"); err != nil || !first {
			return fmt.Errorf("first mark in tx = %v, %w", first, err)
		}
		return boom
	})
	if !errors.Is(err, boom) || done("email:2") {
		t.Errorf("rolled back mark: InTx = %v, done = %v", err, done("email:2"))
	}
	for _, key := range []string{"", string(make([]byte, 201))} {
		_, err := db.MarkJobEffect(ctx, key)
		wantKind(t, err, errs.Invalid)
		_, err = db.JobEffectDone(ctx, key)
		wantKind(t, err, errs.Invalid)
	}
}

// testJobSchemaRules bypasses the Go checks: the schema itself refuses an
// unknown state, a running job without a lease and a final one without a
// finish time.
func testJobSchemaRules(t *testing.T, clock *JobClock, open Opener) {
	db := open()
	j := mustEnqueue(t, db, jobs.NewJob{Kind: "k"})
	for _, q := range []string{
		`UPDATE jobs SET state = 'bogus' WHERE id = ?`,
		`UPDATE jobs SET state = 'running' WHERE id = ?`,
		`UPDATE jobs SET state = 'done' WHERE id = ?`,
		`UPDATE jobs SET attempts = max_attempts + 1 WHERE id = ?`,
		`UPDATE jobs SET payload = 'not json' WHERE id = ?`,
	} {
		if err := rawExec(db, q, j.ID); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
	if st := jobStatus(t, db, j.ID); st.State != jobs.StateQueued {
		t.Errorf("state = %s after refused updates", st.State)
	}
}
