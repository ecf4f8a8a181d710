package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestSQLiteAudit(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestPostgresAudit(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}

// TestPostgresAuditTwoInstances appends to one chain from two connection
// pools at once: the head row lock must keep the chain from forking.
func TestPostgresAuditTwoInstances(t *testing.T) {
	url := storetest.PostgresURL(t)
	storetest.AuditTwoWriters(t, openMigrated(t, store.DriverPostgres, url), openMigrated(t, store.DriverPostgres, url))
}

func TestSQLiteAuditTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "astral.db")
	storetest.AuditTwoWriters(t, openMigrated(t, store.DriverSQLite, path), openMigrated(t, store.DriverSQLite, path))
}

func openMigrated(t *testing.T, driver, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, driver, dsn, store.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestPostgresAuditGrants applies the grants docs/audit.md recommends to a
// role of its own and shows that, acting as that role, the app can append
// and read but not change or remove audit rows: permission denied, before
// any trigger runs.
func TestPostgresAuditGrants(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewPostgres(t)
	storetest.SeedAuditChain(t, db, storetest.NewAuditSigner(t), "org-grants", 3)
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	role := "astral_app_test_" + hex.EncodeToString(b) // hex: safe in DDL
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	for _, q := range []string{
		`CREATE ROLE ` + role + ` NOLOGIN`,
		// The snippet from docs/audit.md, for role instead of astral_app.
		`GRANT USAGE ON SCHEMA public TO ` + role,
		`REVOKE ALL ON audit_entries, audit_checkpoints, audit_heads FROM ` + role,
		`GRANT SELECT, INSERT ON audit_entries, audit_checkpoints TO ` + role,
		`GRANT SELECT, INSERT, UPDATE ON audit_heads TO ` + role,
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		// Runs before the test database is dropped, on a fresh connection.
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	if err := exec(`SET ROLE ` + role); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exec(`RESET ROLE`) }()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM audit_entries`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("SELECT as %s = %d, %v", role, n, err)
	}
	for _, q := range []string{
		`UPDATE audit_entries SET action = 'patient.write'`,
		`DELETE FROM audit_entries`,
		`UPDATE audit_checkpoints SET seq = seq`,
		`DELETE FROM audit_checkpoints`,
		`TRUNCATE audit_entries`,
	} {
		err := exec(q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as %s = %v, want permission denied (42501)", q, role, err)
		}
	}
}
