package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/store"
)

// Run runs the contract suite. newDB must return a fresh, migrated, empty
// database that is cleaned up when its test ends; each subtest gets its own.
func Run(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Basics", testBasics},
		{"Organizations", testOrganizations},
		{"Users", testUsers},
		{"UpdateUser", testUpdateUser},
		{"CareRelationships", testCareRelationships},
		{"CareRelationshipRules", testCareRelationshipRules},
		{"CrossPracticeLinkRejectedBySchema", testCrossPracticeSchema},
		{"Supervisions", testSupervisions},
		{"InTx", testInTx},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Migrations", testMigrations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

// wantKind fails the test unless err has the given kind.
func wantKind(t *testing.T, err error, want errs.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want kind %v", want)
	}
	if got := errs.KindOf(err); got != want {
		t.Fatalf("err = %v (kind %v), want kind %v", err, got, want)
	}
}

// wantField fails the test unless err is an *errs.Error with a problem on
// field with message key msg.
func wantField(t *testing.T, err error, field, msg string) {
	t.Helper()
	_, _, _, fields := errs.Public(err)
	if !slices.ContainsFunc(fields, func(f errs.FieldError) bool { return f.Field == field && f.Message == msg }) {
		t.Fatalf("err = %v with fields %+v, want %s on %q", err, fields, msg, field)
	}
}

// wantRecent fails the test unless ts is a UTC time within the last minute.
func wantRecent(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.Location() != time.UTC || time.Since(ts) > time.Minute || time.Until(ts) > time.Second {
		t.Errorf("%s = %v, want a recent UTC time", what, ts)
	}
}

func ptr[T any](v T) *T { return &v }

// rawExec runs a query with ? placeholders on the raw pool, bypassing every
// Go check.
func rawExec(db *store.DB, query string, args ...any) error {
	_, err := db.SQL().ExecContext(context.Background(), db.Rebind(query), args...)
	return err
}

func testBasics(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if d := db.Driver(); d != store.DriverSQLite && d != store.DriverPostgres {
		t.Errorf("Driver() = %q", d)
	}
	if s := db.Stats(); s.OpenConnections < 1 || s.MaxOpenConnections < 1 {
		t.Errorf("Stats() = %+v, want open connections", s)
	}
}
