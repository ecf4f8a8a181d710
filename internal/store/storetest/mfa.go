package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/store"
)

// RunMFA runs the contract suite of the second factors' store (mfa.Store).
// newDB must return a fresh, migrated, empty database per subtest.
func RunMFA(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"TOTPLifecycle", testTOTPLifecycle},
		{"TOTPStep", testTOTPStep},
		{"TOTPIsolation", testTOTPIsolation},
		{"BackupCodes", testBackupCodes},
		{"BackupCodeConcurrentUse", testBackupCodeConcurrentUse},
		{"EmailCodes", testEmailCodes},
		{"EmailCodeConcurrentAttempts", testEmailCodeConcurrentAttempts},
		{"MFASchemaRules", testMFASchemaRules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

// mfaUser makes a practice with one therapist and returns their ids.
func mfaUser(t *testing.T, db *store.DB) (orgID, userID string) {
	t.Helper()
	org := MustOrganization(t, db)
	return org.ID, MustUser(t, db, org.ID, identity.RoleTherapist).ID
}

func newUUID(t *testing.T) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// concurrently runs fn n times at once and returns how many returned nil;
// any error other than the allowed kind fails the test.
func concurrently(t *testing.T, n int, allowed errs.Kind, fn func() error) int {
	t.Helper()
	var (
		wg   sync.WaitGroup
		ok   atomic.Int32
		mu   sync.Mutex
		errl []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			err := fn()
			switch {
			case err == nil:
				ok.Add(1)
			case !errs.Is(err, allowed):
				mu.Lock()
				errl = append(errl, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errl {
		t.Errorf("unexpected error: %v", err)
	}
	return int(ok.Load())
}

func testTOTPLifecycle(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)

	_, err := db.ActiveTOTP(ctx, org, user)
	wantKind(t, err, errs.NotFound)
	_, err = db.PendingTOTP(ctx, org, user)
	wantKind(t, err, errs.NotFound)

	first, err := db.PutPendingTOTP(ctx, mfa.TOTPCredential{ID: newUUID(t), OrgID: org, UserID: user, Secret: []byte("sealed-1")})
	if err != nil {
		t.Fatalf("PutPendingTOTP: %v", err)
	}
	if first.LastStep != 0 || first.ConfirmedAt != nil || string(first.Secret) != "sealed-1" {
		t.Errorf("PutPendingTOTP = %+v", first)
	}
	wantRecent(t, "CreatedAt", first.CreatedAt)

	// A second pending enrolment replaces the first.
	second, err := db.PutPendingTOTP(ctx, mfa.TOTPCredential{ID: newUUID(t), OrgID: org, UserID: user, Secret: []byte("sealed-2")})
	if err != nil {
		t.Fatalf("PutPendingTOTP again: %v", err)
	}
	got, err := db.PendingTOTP(ctx, org, user)
	if err != nil {
		t.Fatalf("PendingTOTP: %v", err)
	}
	if diff := cmp.Diff(second, got); diff != "" {
		t.Errorf("PendingTOTP mismatch (-put +read):\n%s", diff)
	}
	_, err = db.ActivateTOTP(ctx, org, user, first.ID, 100)
	wantKind(t, err, errs.NotFound)

	active, err := db.ActivateTOTP(ctx, org, user, second.ID, 100)
	if err != nil {
		t.Fatalf("ActivateTOTP: %v", err)
	}
	if active.ID != second.ID || active.LastStep != 100 || active.ConfirmedAt == nil {
		t.Errorf("ActivateTOTP = %+v", active)
	}
	if got, err := db.ActiveTOTP(ctx, org, user); err != nil || !cmp.Equal(got, active) {
		t.Errorf("ActiveTOTP = %+v, %v; want %+v", got, err, active)
	}
	_, err = db.PendingTOTP(ctx, org, user)
	wantKind(t, err, errs.NotFound)

	// Re-enrolling keeps the active app until the new one is confirmed; a
	// failed activation (the id is not pending) leaves it in place.
	third, err := db.PutPendingTOTP(ctx, mfa.TOTPCredential{ID: newUUID(t), OrgID: org, UserID: user, Secret: []byte("sealed-3")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ActivateTOTP(ctx, org, user, second.ID, 200)
	wantKind(t, err, errs.NotFound)
	if got, err := db.ActiveTOTP(ctx, org, user); err != nil || got.ID != second.ID {
		t.Errorf("ActiveTOTP after a failed activation = %+v, %v; want %s kept", got, err, second.ID)
	}
	if _, err := db.ActivateTOTP(ctx, org, user, third.ID, 300); err != nil {
		t.Fatalf("ActivateTOTP third: %v", err)
	}
	if got, err := db.ActiveTOTP(ctx, org, user); err != nil || got.ID != third.ID || got.LastStep != 300 {
		t.Errorf("ActiveTOTP after replacement = %+v, %v; want %s", got, err, third.ID)
	}

	if err := db.DeleteTOTP(ctx, org, user); err != nil {
		t.Fatalf("DeleteTOTP: %v", err)
	}
	_, err = db.ActiveTOTP(ctx, org, user)
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.DeleteTOTP(ctx, org, user), errs.NotFound)
}

// activeTOTP stores and activates a credential at step 1000.
func activeTOTP(t *testing.T, db *store.DB, org, user string) mfa.TOTPCredential {
	t.Helper()
	ctx := context.Background()
	c, err := db.PutPendingTOTP(ctx, mfa.TOTPCredential{ID: newUUID(t), OrgID: org, UserID: user, Secret: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = db.ActivateTOTP(ctx, org, user, c.ID, 1000); err != nil {
		t.Fatal(err)
	}
	return c
}

func testTOTPStep(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	c := activeTOTP(t, db, org, user)

	tests := []struct {
		name     string
		step     int64
		conflict bool // refused as not later than the last accepted step
	}{
		{"later", 1001, false},
		{"same again", 1001, true},
		{"earlier", 1000, true},
		{"much later", 1005, false},
	}
	for _, tt := range tests {
		err := db.AdvanceTOTPStep(ctx, org, user, c.ID, tt.step)
		if tt.conflict {
			wantKind(t, err, errs.Conflict)
		} else if err != nil {
			t.Errorf("%s: AdvanceTOTPStep(%d) = %v", tt.name, tt.step, err)
		}
	}
	if got, err := db.ActiveTOTP(ctx, org, user); err != nil || got.LastStep != 1005 {
		t.Errorf("LastStep = %d, %v; want 1005", got.LastStep, err)
	}
	wantKind(t, db.AdvanceTOTPStep(ctx, org, user, newUUID(t), 2000), errs.NotFound)

	// Twenty requests with one code: exactly one is accepted.
	if n := concurrently(t, 20, errs.Conflict, func() error {
		return db.AdvanceTOTPStep(ctx, org, user, c.ID, 1006)
	}); n != 1 {
		t.Errorf("%d concurrent uses of one step succeeded, want 1", n)
	}
}

func testTOTPIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	other, _ := mfaUser(t, db)
	c := activeTOTP(t, db, org, user)

	_, err := db.ActiveTOTP(ctx, other, user)
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.AdvanceTOTPStep(ctx, other, user, c.ID, 5000), errs.NotFound)
	wantKind(t, db.DeleteTOTP(ctx, other, user), errs.NotFound)
	// A user named under the wrong practice is refused by the schema.
	_, err = db.PutPendingTOTP(ctx, mfa.TOTPCredential{ID: newUUID(t), OrgID: other, UserID: user, Secret: []byte("x")})
	wantKind(t, err, errs.Invalid)
	if got, err := db.ActiveTOTP(ctx, org, user); err != nil || got.LastStep != 1000 {
		t.Errorf("ActiveTOTP = %+v, %v; want untouched", got, err)
	}
}
