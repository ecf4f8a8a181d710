package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

func TestNumberPlaceholders(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{"x = 'it''s?' AND y IN (?, ?)", "x = 'it''s?' AND y IN ($1, $2)"},
	}
	for _, tt := range tests {
		if got := numberPlaceholders(tt.in); got != tt.want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	d := newPostgresDialect()
	if got := d.rebind("a = ?"); got != "a = $1" || d.rebind("a = ?") != got {
		t.Errorf("rebind = %q", got)
	}
	if got := newSQLiteDialect().rebind("a = ?"); got != "a = ?" {
		t.Errorf("SQLite rebind = %q", got)
	}
}

func TestTimeCodec(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	later := at.Add(500 * time.Millisecond)
	if a, b := formatTime(at), formatTime(later); a >= b || a != "2024-03-01T11:00:00.000000Z" {
		t.Errorf("formatTime: %q, %q; want fixed width, ordered", a, b)
	}
	for _, src := range []any{formatTime(later), []byte(formatTime(later)), later, "2024-03-01T11:00:00.5Z"} {
		var got time.Time
		if err := (timeScanner{&got}).Scan(src); err != nil || !got.Equal(later) || got.Location() != time.UTC {
			t.Errorf("Scan(%#v) = %v, %v", src, got, err)
		}
	}
	var p *time.Time = &at
	if err := (nullTimeScanner{&p}).Scan(nil); err != nil || p != nil {
		t.Errorf("Scan(nil) = %v, %v", p, err)
	}
	var got time.Time
	if err := (timeScanner{&got}).Scan(nil); err == nil {
		t.Error("Scan(nil) into a NOT NULL time succeeded")
	}
	if err := (timeScanner{&got}).Scan("not a time"); err == nil {
		t.Error("Scan(garbage) succeeded")
	}
}

// TestMigrationParity checks that both engines have the same migrations.
func TestMigrationParity(t *testing.T) {
	names := func(engine string) []string {
		ms, err := loadMigrations(engine)
		if err != nil {
			t.Fatalf("loadMigrations(%s): %v", engine, err)
		}
		var out []string
		for i, m := range ms {
			if m.version != i+1 {
				t.Errorf("%s: migration %s out of sequence", engine, m.name)
			}
			out = append(out, m.name)
		}
		return out
	}
	if s, p := names("sqlite"), names("postgres"); !slices.Equal(s, p) || len(s) == 0 {
		t.Errorf("migrations differ: sqlite %v, postgres %v", s, p)
	}
}

// TestSQLitePools checks the pragmas on both pools and that the reader
// cannot write.
func TestSQLitePools(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, DriverSQLite, filepath.Join(t.TempDir(), "a b?c#.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"}
	for name, pool := range map[string]runner{"writer": db.writer, "reader": db.reader} {
		for p, w := range want {
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil || got != w {
				t.Errorf("%s: PRAGMA %s = %q, %v; want %q", name, p, got, err, w)
			}
		}
	}
	if _, err := db.reader.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err == nil {
		t.Error("the reader pool can write")
	}
	if _, err := Open(ctx, "mysql", "", Options{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Open(mysql) = %v, want Invalid", err)
	}
}

// TestSQLiteTwoHandles runs migrations and writes from two handles on one
// file at once, as `astral migrate` beside `astral serve` would: the
// busy timeout and InTx's retries must absorb the contention.
func TestSQLiteTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "astral.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, DriverSQLite, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	runBoth(t, dbs[:], func(db *DB) error {
		_, err := db.Migrate(ctx)
		return err
	})
	runBoth(t, dbs[:], func(db *DB) error {
		for range 20 {
			if _, err := db.CreateOrganization(ctx, "P", "p-"+newIDForTest(t)); err != nil {
				return err
			}
		}
		return nil
	})
	orgs, err := dbs[0].Organizations(ctx, identity.OrganizationFilter{})
	if err != nil || len(orgs) != 40 {
		t.Errorf("Organizations = %d, %v; want 40", len(orgs), err)
	}
}

// runBoth calls fn on every db concurrently and fails on any error.
func runBoth(t *testing.T, dbs []*DB, fn func(db *DB) error) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, len(dbs))
	for _, db := range dbs {
		wg.Go(func() { errc <- fn(db) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
}

func newIDForTest(t *testing.T) string {
	id, err := newID()
	if err != nil {
		t.Fatal(err)
	}
	return id[len(id)-12:]
}

func TestClassify(t *testing.T) {
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
	e := errs.E(errs.Forbidden, "x")
	if got := classify(e); got != error(e) {
		t.Error("classify changed an *errs.Error")
	}
	if got := errs.KindOf(classify(errors.New("driver"))); got != errs.Internal {
		t.Errorf("classify(other) kind = %v", got)
	}
	if retryable(errors.New("x")) {
		t.Error("retryable(plain error)")
	}
}
