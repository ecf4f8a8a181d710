package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/store"
)

func testInTx(t *testing.T, db *store.DB) {
	ctx := context.Background()

	// An error rolls everything back and comes out unchanged.
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.CreateOrganization(ctx, "Rolled back", "rolled-back")
		if err != nil {
			return err
		}
		if _, err := tx.CreateUser(ctx, o.ID, identity.RoleAdmin); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	_, err = db.OrganizationBySlug(ctx, "rolled-back")
	wantKind(t, err, errs.NotFound)

	// So does a panic, which InTx passes on.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("InTx swallowed a panic")
			}
		}()
		_ = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateOrganization(ctx, "Panicked", "panicked"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	_, err = db.OrganizationBySlug(ctx, "panicked")
	wantKind(t, err, errs.NotFound)

	// A transaction has one timestamp, and sees its own writes.
	var a, b identity.Organization
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.CreateOrganization(ctx, "A", "practice-a"); err != nil {
			return err
		}
		if b, err = tx.CreateOrganization(ctx, "B", "practice-b"); err != nil {
			return err
		}
		if !a.CreatedAt.Equal(tx.Now()) || !b.CreatedAt.Equal(tx.Now()) {
			t.Errorf("CreatedAt %v, %v; want tx.Now() %v", a.CreatedAt, b.CreatedAt, tx.Now())
		}
		_, err = tx.OrganizationByID(ctx, a.ID)
		return err
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := db.OrganizationByID(ctx, b.ID); err != nil {
		t.Errorf("committed organization: %v", err)
	}
}

// testConcurrentUpdates runs writers that each read a user and update it
// under optimistic locking, retrying on Conflict: no update may be lost.
func testConcurrentUpdates(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RoleTherapist)
	const writers = 20

	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			status := identity.StatusActive
			if i%2 == 0 {
				status = identity.StatusDeactivated
			}
			for attempt := 0; attempt < 10*writers; attempt++ {
				cur, err := db.UserByID(ctx, org.ID, u.ID)
				if err != nil {
					errc <- err
					return
				}
				_, err = db.UpdateUser(ctx, org.ID, u.ID, cur.Version, identity.UserUpdate{Status: &status})
				if errs.Is(err, errs.Conflict) {
					continue
				}
				errc <- err
				return
			}
			errc <- errors.New("writer gave up")
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	got, err := db.UserByID(ctx, org.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1+writers {
		t.Errorf("version = %d, want %d: an update was lost", got.Version, 1+writers)
	}
}
