package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestKeyStoreSQLite(t *testing.T) {
	storetest.RunKeyStore(t, func(t *testing.T) *store.KeyDB { return storetest.NewKeyStoreSQLite(t) })
}

func TestKeyStorePostgres(t *testing.T) {
	storetest.RunKeyStore(t, func(t *testing.T) *store.KeyDB { return storetest.NewKeyStorePostgres(t) })
}

// TestKeyStoreSharesDatabase migrates the core schema and the keystore into
// one database, as a development PostgreSQL setup without
// ASTRAL_KEYS_DATABASE_URL does: their migration records must not collide.
func TestKeyStoreSharesDatabase(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		shareDatabase(t, store.DriverSQLite, filepath.Join(t.TempDir(), "astral.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		shareDatabase(t, store.DriverPostgres, storetest.PostgresURL(t))
	})
}

func shareDatabase(t *testing.T, driver, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, driver, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	k, err := store.OpenKeyStore(ctx, driver, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	for range 2 {
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("core Migrate: %v", err)
		}
		if _, err := k.Migrate(ctx); err != nil {
			t.Fatalf("keystore Migrate: %v", err)
		}
	}
	core, err := db.MigrationStatus(ctx)
	if err != nil || len(core) == 0 || core[0].Name != "0001_core" {
		t.Errorf("core MigrationStatus = %+v, %v", core, err)
	}
	keys, err := k.MigrationStatus(ctx)
	if err != nil || len(keys) != 1 || keys[0].Name != "0001_data_keys" {
		t.Errorf("keystore MigrationStatus = %+v, %v", keys, err)
	}
}
