package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/store"
)

// NewKeyStoreSQLite returns a migrated keystore in a fresh temporary SQLite
// file, closed when the test ends.
func NewKeyStoreSQLite(tb testing.TB) *store.KeyDB {
	tb.Helper()
	ctx := context.Background()
	k, err := store.OpenKeyStore(ctx, store.DriverSQLite, filepath.Join(tb.TempDir(), "keys.db"), store.Options{})
	if err != nil {
		tb.Fatalf("open SQLite keystore: %v", err)
	}
	tb.Cleanup(func() {
		if err := k.Close(); err != nil {
			tb.Errorf("close SQLite keystore: %v", err)
		}
	})
	if _, err := k.Migrate(ctx); err != nil {
		tb.Fatalf("migrate SQLite keystore: %v", err)
	}
	return k
}

// NewKeyStorePostgres returns a migrated keystore in a database of its own on
// the PostgreSQL server named by ASTRAL_TEST_POSTGRES_URL, dropped when the
// test ends; skipped without that variable, like NewPostgres.
func NewKeyStorePostgres(tb testing.TB) *store.KeyDB {
	tb.Helper()
	ctx := context.Background()
	k, err := store.OpenKeyStore(ctx, store.DriverPostgres, PostgresURL(tb), store.Options{MaxOpenConns: 8})
	if err != nil {
		tb.Fatalf("open test keystore: %v", err)
	}
	tb.Cleanup(func() {
		if err := k.Close(); err != nil {
			tb.Errorf("close test keystore: %v", err)
		}
	})
	if _, err := k.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test keystore: %v", err)
	}
	return k
}

// RunKeyStore runs the keystore contract suite. newKS must return a fresh,
// migrated, empty keystore cleaned up when its test ends.
func RunKeyStore(t *testing.T, newKS func(t *testing.T) *store.KeyDB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, k *store.KeyDB)
	}{
		{"CreateAndRead", testKeyCreateAndRead},
		{"OneLiveKeyPerOwner", testKeyOneLivePerOwner},
		{"InvalidKeys", testKeyInvalid},
		{"SchemaRules", testKeySchemaRules},
		{"Rewrap", testKeyRewrap},
		{"Destroy", testKeyDestroy},
		{"ListAndCount", testKeyListAndCount},
		{"ConcurrentCreate", testKeyConcurrentCreate},
		{"Migrations", testKeyMigrations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newKS(t))
		})
	}
}

// newKey returns an unsaved key of the kind with a fresh id and random
// wrapped bytes under KEK version 1.
func newKey(orgID, patientID string, kind phi.KeyKind) phi.StoredKey {
	w := make([]byte, 60)
	_, _ = rand.Read(w)
	return phi.StoredKey{ID: uuid.NewString(), OrgID: orgID, PatientID: patientID, Kind: kind,
		Wrapped: phi.WrappedKey{Version: 1, Ciphertext: w}}
}

// mustKey creates a key, or fails the test.
func mustKey(t *testing.T, k *store.KeyDB, key phi.StoredKey) phi.StoredKey {
	t.Helper()
	got, err := k.CreateKey(context.Background(), key)
	if err != nil {
		t.Fatalf("CreateKey(%s %s): %v", key.Kind, key.ID, err)
	}
	return got
}

func rawKeyExec(k *store.KeyDB, query string, args ...any) error {
	_, err := k.SQL().ExecContext(context.Background(), k.Rebind(query), args...)
	return err
}

func testKeyCreateAndRead(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	want := newKey("org-1", "patient-1", phi.KindPatient)
	got := mustKey(t, k, want)
	wantRecent(t, "CreatedAt", got.CreatedAt)
	if got.ID != want.ID || got.RewrappedAt != nil || got.DestroyedAt != nil {
		t.Errorf("CreateKey = %+v", got)
	}
	for name, read := range map[string]func() (phi.StoredKey, error){
		"LiveKey": func() (phi.StoredKey, error) { return k.LiveKey(ctx, "org-1", "patient-1", phi.KindPatient) },
		"KeyByID": func() (phi.StoredKey, error) { return k.KeyByID(ctx, want.ID) },
	} {
		r, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.ID != want.ID || r.OrgID != "org-1" || r.PatientID != "patient-1" || r.Kind != phi.KindPatient ||
			r.Wrapped.Version != 1 || !bytes.Equal(r.Wrapped.Ciphertext, want.Wrapped.Ciphertext) ||
			!r.CreatedAt.Equal(got.CreatedAt) || r.RewrappedAt != nil || r.DestroyedAt != nil {
			t.Errorf("%s = %+v, want %+v", name, r, got)
		}
	}
	// Practice-level keys have no patient; index and practice keys coexist.
	mustKey(t, k, newKey("org-1", "", phi.KindPractice))
	mustKey(t, k, newKey("org-1", "", phi.KindIndex))
	if _, err := k.LiveKey(ctx, "org-1", "", phi.KindIndex); err != nil {
		t.Errorf("LiveKey(index): %v", err)
	}
	_, err := k.LiveKey(ctx, "org-2", "", phi.KindPractice)
	wantKind(t, err, errs.NotFound)
	_, err = k.KeyByID(ctx, uuid.NewString())
	wantKind(t, err, errs.NotFound)
}

func testKeyOneLivePerOwner(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	first := mustKey(t, k, newKey("org-1", "p", phi.KindPatient))
	_, err := k.CreateKey(ctx, newKey("org-1", "p", phi.KindPatient))
	wantKind(t, err, errs.Conflict)
	// The same id twice, even for another owner.
	dup := newKey("org-1", "q", phi.KindPatient)
	dup.ID = first.ID
	_, err = k.CreateKey(ctx, dup)
	wantKind(t, err, errs.Conflict)
	// Practice keys: '' patient ids collide like any other.
	mustKey(t, k, newKey("org-1", "", phi.KindPractice))
	_, err = k.CreateKey(ctx, newKey("org-1", "", phi.KindPractice))
	wantKind(t, err, errs.Conflict)
	// Other patients and practices are other owners.
	mustKey(t, k, newKey("org-1", "q", phi.KindPatient))
	mustKey(t, k, newKey("org-2", "p", phi.KindPatient))
	mustKey(t, k, newKey("org-2", "", phi.KindPractice))
}

func testKeyInvalid(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	noWrap := newKey("org", "p", phi.KindPatient)
	noWrap.Wrapped.Ciphertext = nil
	noVersion := newKey("org", "p", phi.KindPatient)
	noVersion.Wrapped.Version = 0
	badID := newKey("org", "p", phi.KindPatient)
	badID.ID = "x"
	for name, key := range map[string]phi.StoredKey{
		"unknown kind":         newKey("org", "p", "session"),
		"patient key, no id":   newKey("org", "", phi.KindPatient),
		"practice key with id": newKey("org", "p", phi.KindPractice),
		"index key with id":    newKey("org", "p", phi.KindIndex),
		"no org":               newKey("", "", phi.KindPractice),
		"empty wrapped":        noWrap,
		"no KEK version":       noVersion,
		"malformed id":         badID,
	} {
		_, err := k.CreateKey(ctx, key)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("CreateKey(%s) = %v, want errs.Invalid", name, err)
		}
	}
	_, err := k.DestroyKey(ctx, "org", "p", phi.KindPractice)
	wantKind(t, err, errs.Invalid)
	_, err = k.LiveKeysBelow(ctx, 2, "", 0)
	wantKind(t, err, errs.Invalid)
	key := mustKey(t, k, newKey("org", "p", phi.KindPatient))
	err = k.RewrapKey(ctx, key.ID, 1, phi.WrappedKey{Version: 2})
	wantKind(t, err, errs.Invalid)
}

// testKeySchemaRules bypasses the Go checks: the schema itself must refuse a
// destroyed key that keeps key material, a live key without it, and a second
// live key for an owner.
func testKeySchemaRules(t *testing.T, k *store.KeyDB) {
	insert := `INSERT INTO data_keys (id, org_id, patient_id, kind, kek_version, wrapped, created_at, destroyed_at)
		SELECT ?, ?, ?, kind, kek_version, ?, created_at, ` + "%s" + ` FROM data_keys WHERE id = ?`
	live := mustKey(t, k, newKey("org", "", phi.KindPractice))
	tests := []struct {
		name           string
		destroyed      string
		org, patient   string
		wrapped        []byte
		wantSchemaDeny bool
	}{
		{"a valid tombstone", "created_at", "org", "", []byte{}, false},
		{"a valid live key of another practice", "NULL", "org-2", "", []byte{1}, false},
		{"a destroyed key with key material", "created_at", "org-3", "", []byte{1}, true},
		{"a live key without key material", "NULL", "org-4", "", []byte{}, true},
		{"a second live key for an owner", "NULL", "org", "", []byte{1}, true},
		{"a practice key with a patient", "NULL", "org-5", "p", []byte{1}, true},
	}
	for _, tt := range tests {
		err := rawKeyExec(k, fmt.Sprintf(insert, tt.destroyed), uuid.NewString(), tt.org, tt.patient, tt.wrapped, live.ID)
		if denied := err != nil; denied != tt.wantSchemaDeny {
			t.Errorf("schema on %s: err = %v, want denied = %v", tt.name, err, tt.wantSchemaDeny)
		}
	}
}

func testKeyRewrap(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	key := mustKey(t, k, newKey("org", "p", phi.KindPatient))
	w2 := phi.WrappedKey{Version: 2, Ciphertext: []byte("wrapped under v2")}
	if err := k.RewrapKey(ctx, key.ID, 1, w2); err != nil {
		t.Fatalf("RewrapKey: %v", err)
	}
	got, err := k.KeyByID(ctx, key.ID)
	if err != nil || got.Wrapped.Version != 2 || !bytes.Equal(got.Wrapped.Ciphertext, w2.Ciphertext) || got.RewrappedAt == nil {
		t.Fatalf("after RewrapKey: %+v, %v", got, err)
	}
	wantRecent(t, "RewrappedAt", *got.RewrappedAt)
	// The compare-and-swap: a rewrapper still holding version 1 loses.
	err = k.RewrapKey(ctx, key.ID, 1, phi.WrappedKey{Version: 2, Ciphertext: []byte("stale")})
	wantKind(t, err, errs.Conflict)
	if got, _ := k.KeyByID(ctx, key.ID); !bytes.Equal(got.Wrapped.Ciphertext, w2.Ciphertext) {
		t.Error("a lost compare-and-swap changed the key")
	}
	err = k.RewrapKey(ctx, uuid.NewString(), 1, w2)
	wantKind(t, err, errs.NotFound)
	if _, err := k.DestroyKey(ctx, "org", "p", phi.KindPatient); err != nil {
		t.Fatal(err)
	}
	err = k.RewrapKey(ctx, key.ID, 2, phi.WrappedKey{Version: 3, Ciphertext: []byte("v3")})
	wantKind(t, err, errs.Conflict)
}

func testKeyDestroy(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	key := mustKey(t, k, newKey("org", "p", phi.KindPatient))
	other := mustKey(t, k, newKey("org", "q", phi.KindPatient))
	d, err := k.DestroyKey(ctx, "org", "p", phi.KindPatient)
	if err != nil {
		t.Fatalf("DestroyKey: %v", err)
	}
	if d.ID != key.ID || d.DestroyedAt == nil || d.Wrapped.Ciphertext != nil {
		t.Errorf("DestroyKey = %+v", d)
	}
	_, err = k.LiveKey(ctx, "org", "p", phi.KindPatient)
	wantKind(t, err, errs.NotFound)
	got, err := k.KeyByID(ctx, key.ID)
	if err != nil || got.DestroyedAt == nil || len(got.Wrapped.Ciphertext) != 0 || got.Wrapped.Version != 1 {
		t.Errorf("KeyByID(destroyed) = %+v, %v; want a tombstone without key material", got, err)
	}
	var n int
	if err := k.SQL().QueryRowContext(ctx, k.Rebind(`SELECT COUNT(*) FROM data_keys WHERE id = ? AND length(wrapped) = 0`), key.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("tombstone rows with empty wrapped = %d, %v; want 1", n, err)
	}
	_, err = k.DestroyKey(ctx, "org", "p", phi.KindPatient)
	wantKind(t, err, errs.NotFound)
	if got, err := k.LiveKey(ctx, "org", "q", phi.KindPatient); err != nil || got.ID != other.ID {
		t.Errorf("another patient's key after DestroyKey: %+v, %v", got, err)
	}
	// The owner may get a new key, but never the old id back.
	reuse := newKey("org", "p", phi.KindPatient)
	reuse.ID = key.ID
	_, err = k.CreateKey(ctx, reuse)
	wantKind(t, err, errs.Conflict)
	fresh := mustKey(t, k, newKey("org", "p", phi.KindPatient))
	if got, err := k.LiveKey(ctx, "org", "p", phi.KindPatient); err != nil || got.ID != fresh.ID {
		t.Errorf("LiveKey after a new key = %+v, %v; want %s", got, err, fresh.ID)
	}
}

func testKeyListAndCount(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	ids := map[string]bool{}
	for i := range 7 {
		key := newKey("org", fmt.Sprintf("p%d", i), phi.KindPatient)
		if i >= 5 {
			key.Wrapped.Version = 2
		}
		mustKey(t, k, key)
		if i < 5 {
			ids[key.ID] = true
		}
	}
	gone := mustKey(t, k, newKey("org", "gone", phi.KindPatient))
	if _, err := k.DestroyKey(ctx, "org", "gone", phi.KindPatient); err != nil {
		t.Fatal(err)
	}
	counts, err := k.LiveKeyVersions(ctx)
	if err != nil || len(counts) != 2 || counts[1] != 5 || counts[2] != 2 {
		t.Errorf("LiveKeyVersions = %v, %v; want map[1:5 2:2]", counts, err)
	}
	var seen []string
	after := ""
	for {
		page, err := k.LiveKeysBelow(ctx, 2, after, 2)
		if err != nil {
			t.Fatalf("LiveKeysBelow: %v", err)
		}
		if len(page) == 0 {
			break
		}
		for _, key := range page {
			if key.Wrapped.Version != 1 || key.ID == gone.ID || key.ID <= after {
				t.Errorf("LiveKeysBelow gave %+v after %q", key, after)
			}
			seen = append(seen, key.ID)
			after = key.ID
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("LiveKeysBelow listed %d keys, want %d", len(seen), len(ids))
	}
	for _, id := range seen {
		if !ids[id] {
			t.Errorf("LiveKeysBelow listed %s, not a live version-1 key", id)
		}
	}
}

func testKeyConcurrentCreate(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range n {
		wg.Go(func() {
			_, err := k.CreateKey(ctx, newKey("org", "p", phi.KindPatient))
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errs.Is(err, errs.Conflict):
				t.Errorf("CreateKey: %v, want success or errs.Conflict", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent creators succeeded, want 1", wins)
	}
}

func testKeyMigrations(t *testing.T, k *store.KeyDB) {
	ctx := context.Background()
	applied, err := k.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	states, err := k.MigrationStatus(ctx)
	if err != nil || len(states) == 0 || states[0].Name != "0001_data_keys" || states[0].AppliedAt == nil || states[0].Problem != "" {
		t.Fatalf("MigrationStatus = %+v, %v; want 0001_data_keys applied", states, err)
	}
	// The keystore's own record, which leaves room for the core one.
	if err := rawKeyExec(k, `UPDATE key_schema_migrations SET checksum = ? WHERE version = 1`, "tampered"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Migrate(ctx); !errs.Is(err, errs.Internal) {
		t.Errorf("Migrate after tampering = %v, want an error", err)
	}
}
