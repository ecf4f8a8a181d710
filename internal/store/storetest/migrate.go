package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/astralcore/astral/internal/store"
)

func testMigrations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	states, err := db.MigrationStatus(ctx)
	if err != nil || len(states) == 0 {
		t.Fatalf("MigrationStatus = %v, %v", states, err)
	}
	for _, s := range states {
		if s.AppliedAt == nil || s.Problem != "" || len(s.Checksum) != 64 {
			t.Errorf("MigrationStatus: %+v, want applied without problems", s)
		}
	}
	if states[0].Version != 1 || states[0].Name != "0001_core" {
		t.Errorf("first migration = %+v, want 0001_core", states[0])
	}

	// An edited migration stops Migrate.
	if err := rawExec(db, `UPDATE schema_migrations SET checksum = ? WHERE version = 1`, "tampered"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); !errors.Is(err, store.ErrMigrationChanged) {
		t.Errorf("Migrate after tampering = %v, want ErrMigrationChanged", err)
	}
	if states, err := db.MigrationStatus(ctx); err != nil || states[0].Problem != "changed" {
		t.Errorf("MigrationStatus after tampering = %+v, %v; want problem changed", states, err)
	}
	if err := rawExec(db, `UPDATE schema_migrations SET checksum = ? WHERE version = 1`, states[0].Checksum); err != nil {
		t.Fatal(err)
	}

	// So does a database migrated by a newer binary.
	if err := rawExec(db, `INSERT INTO schema_migrations (version, name, checksum, applied_at)
		SELECT 9999, '9999_future', 'x', applied_at FROM schema_migrations WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Migrate with a newer schema = %v, want ErrSchemaTooNew", err)
	}
	states, err = db.MigrationStatus(ctx)
	if err != nil || states[len(states)-1].Version != 9999 || states[len(states)-1].Problem != "unknown" {
		t.Errorf("MigrationStatus with a newer schema = %+v, %v", states, err)
	}
}
