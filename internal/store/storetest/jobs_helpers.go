package storetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/store"
)

// JobClock is a fake clock for job tests, safe for concurrent use. Leases,
// due times and backoff all read the store's clock, so a test moves time with
// Advance instead of sleeping.
type JobClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewJobClock returns a clock stopped at t.
func NewJobClock(t time.Time) *JobClock { return &JobClock{t: t.UTC()} }

// Now returns the clock's time.
func (c *JobClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *JobClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Opener opens a new handle, with its own pools, on one migrated test
// database; each handle stands for a process of its own. Handles close when
// the test ends.
type Opener func() *store.DB

// SQLiteOpener makes a migrated SQLite database in a fresh temporary file
// and returns an Opener for it whose handles read the clock now (nil means
// time.Now).
func SQLiteOpener(tb testing.TB, now func() time.Time) Opener {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "astral.db")
	return opener(tb, store.DriverSQLite, path, now)
}

// PostgresOpener makes a migrated database of its own on the server named by
// ASTRAL_TEST_POSTGRES_URL, like NewPostgres, and returns an Opener for it
// whose handles read the clock now (nil means time.Now). Without that
// variable the test is skipped (failed under ASTRAL_TEST_STRICT=1).
func PostgresOpener(tb testing.TB, now func() time.Time) Opener {
	tb.Helper()
	return opener(tb, store.DriverPostgres, PostgresURL(tb), now)
}

func opener(tb testing.TB, driver, dsn string, now func() time.Time) Opener {
	open := func() *store.DB {
		tb.Helper()
		// 20 connections on PostgreSQL: enough for real contention between
		// claims, few enough for a shared test server (max_connections
		// is often 100).
		db, err := store.Open(context.Background(), driver, dsn, store.Options{Now: now, MaxOpenConns: 20})
		if err != nil {
			tb.Fatalf("open %s: %v", driver, err)
		}
		tb.Cleanup(func() {
			if err := db.Close(); err != nil {
				tb.Errorf("close %s: %v", driver, err)
			}
		})
		return db
	}
	if _, err := open().Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", driver, err)
	}
	return open
}
