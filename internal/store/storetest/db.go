// Package storetest is the contract suite every store engine must pass, and
// the helpers that make migrated test databases for it and for other
// packages' tests.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for the admin connection

	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/testenv"
)

// NewSQLite returns a migrated SQLite database in a fresh temporary file,
// closed when the test ends.
func NewSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverSQLite, filepath.Join(tb.TempDir(), "astral.db"), store.Options{})
	if err != nil {
		tb.Fatalf("open SQLite: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close SQLite: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate SQLite: %v", err)
	}
	return db
}

// NewPostgres returns a migrated database of its own on the PostgreSQL server
// named by ASTRAL_TEST_POSTGRES_URL, dropped when the test ends. Without that
// variable the test is skipped (failed under ASTRAL_TEST_STRICT=1).
func NewPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverPostgres, PostgresURL(tb), store.Options{MaxOpenConns: 8})
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	// Registered after PostgresURL's drop, so it runs before it.
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close test database: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return db
}

// PostgresURL creates an empty database of its own on the PostgreSQL server
// named by ASTRAL_TEST_POSTGRES_URL and returns its URL, for tests that open
// it themselves (such as end-to-end tests of `astral serve`). The database is
// dropped, with any connections still open, when the test ends. Without the
// variable the test is skipped (failed under ASTRAL_TEST_STRICT=1).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	server := testenv.PostgresURL(tb)
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("parse %s: %v", testenv.EnvPostgres, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatalf("open PostgreSQL server: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	// Hex digits only, so the name is safe to splice into DDL.
	name := "astral_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// MustOrganization creates a practice with a unique slug, or fails the test.
func MustOrganization(tb testing.TB, db *store.DB) identity.Organization {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	o, err := db.CreateOrganization(context.Background(), "Test practice", "test-"+hex.EncodeToString(b))
	if err != nil {
		tb.Fatalf("CreateOrganization: %v", err)
	}
	return o
}

// MustUser creates an active user, or fails the test.
func MustUser(tb testing.TB, db *store.DB, orgID string, role identity.Role) identity.User {
	tb.Helper()
	u, err := db.CreateUser(context.Background(), orgID, role)
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", role, err)
	}
	return u
}
