package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}

// TestPostgresConcurrentMigrate starts several "replicas" on one empty
// database at once: the advisory lock must let exactly one apply each
// migration.
func TestPostgresConcurrentMigrate(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	const replicas = 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []string
	)
	for range replicas {
		db, err := store.Open(ctx, store.DriverPostgres, url, store.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		wg.Go(func() {
			a, err := db.Migrate(ctx)
			if err != nil {
				t.Errorf("Migrate: %v", err)
			}
			mu.Lock()
			applied = append(applied, a...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(applied) == 0 || len(applied) != len(slices.Compact(slices.Sorted(slices.Values(applied)))) {
		t.Errorf("applied = %v, want each migration exactly once", applied)
	}
}
