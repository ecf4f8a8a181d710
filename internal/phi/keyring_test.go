package phi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

var (
	orgA     = "org-a"
	orgB     = "org-b"
	alice    = phi.Owner{OrgID: orgA, PatientID: "patient-alice"}
	bob      = phi.Owner{OrgID: orgA, PatientID: "patient-bob"}
	practice = phi.Owner{OrgID: orgA}
)

func noteAAD(row string) phi.AAD {
	return phi.AAD{OrgID: orgA, Table: "journal_entries", Column: "body", RowID: row}
}

// wantDecryptErr fails the test unless err is an integrity failure.
func wantDecryptErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, phi.ErrDecrypt) || errs.KindOf(err) != errs.Internal {
		t.Errorf("%s: err = %v (kind %v), want ErrDecrypt of kind internal", what, err, errs.KindOf(err))
	}
}

func TestSealOpen(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	for _, plaintext := range []string{"", "x", strings.Repeat("feelings ", 500)} {
		ct := mustSeal(t, e.ring, alice, noteAAD("row-1"), plaintext)
		if len(ct) != len(plaintext)+phi.Overhead || bytes.Contains(ct, []byte("feelings")) {
			t.Errorf("ciphertext of %d bytes is %d bytes long or holds plaintext", len(plaintext), len(ct))
		}
		mustOpen(t, e.ring, ct, noteAAD("row-1"), plaintext)
		mustOpen(t, e.fresh(), ct, noteAAD("row-1"), plaintext)
	}
	// Two seals of one value differ (fresh nonce) and name the same key.
	a, b := mustSeal(t, e.ring, alice, noteAAD("r"), "same"), mustSeal(t, e.ring, alice, noteAAD("r"), "same")
	ida, _ := phi.KeyIDOf(a)
	idb, _ := phi.KeyIDOf(b)
	if bytes.Equal(a, b) || ida != idb {
		t.Errorf("two seals: equal=%v, key ids %s, %s", bytes.Equal(a, b), ida, idb)
	}
	id, err := e.ring.DataKey(ctx, alice)
	if err != nil || id != ida {
		t.Errorf("DataKey = %q, %v; want %q", id, err, ida)
	}
	// Practice-level data has a key of its own.
	pct := mustSeal(t, e.ring, practice, phi.AAD{OrgID: orgA, Table: "orgs", Column: "notes", RowID: orgA}, "practice secret")
	if pid, _ := phi.KeyIDOf(pct); pid == ida {
		t.Error("practice data sealed under a patient's key")
	}
	mustOpen(t, e.fresh(), pct, phi.AAD{OrgID: orgA, Table: "orgs", Column: "notes", RowID: orgA}, "practice secret")

	// Typed helpers.
	tct, err := e.ring.SealText(ctx, alice, noteAAD("t"), phi.NewText("text value"))
	if err != nil {
		t.Fatal(err)
	}
	txt, err := e.ring.OpenText(ctx, tct, noteAAD("t"))
	if err != nil || txt.Reveal() != "text value" {
		t.Errorf("OpenText = %q, %v", txt.Reveal(), err)
	}
	if e.liveKeys(t) != 2 {
		t.Errorf("live keys = %d, want 2 (alice, practice)", e.liveKeys(t))
	}
}

func TestSealRejectsBadInput(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	for name, aad := range map[string]phi.AAD{
		"no row":    {OrgID: orgA, Table: "t", Column: "c"},
		"no column": {OrgID: orgA, Table: "t", RowID: "r"},
		"no table":  {OrgID: orgA, Column: "c", RowID: "r"},
		"no org":    {Table: "t", Column: "c", RowID: "r"},
		"other org": {OrgID: orgB, Table: "t", Column: "c", RowID: "r"},
	} {
		if _, err := e.ring.Seal(ctx, alice, aad, []byte("x")); err == nil {
			t.Errorf("Seal with %s succeeded", name)
		}
	}
	if _, err := e.ring.DataKey(ctx, phi.Owner{PatientID: "p"}); err == nil {
		t.Error("DataKey without org succeeded")
	}
}

func TestFlippedByteFails(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	ct := mustSeal(t, e.ring, alice, noteAAD("row-1"), "a private thought")
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		_, err := e.ring.Open(ctx, bad, noteAAD("row-1"))
		switch {
		case i < 2: // format version and algorithm
			if !errors.Is(err, phi.ErrFormat) || errs.KindOf(err) != errs.Internal {
				t.Errorf("byte %d flipped: err = %v, want ErrFormat", i, err)
			}
		default:
			wantDecryptErr(t, fmt.Sprintf("byte %d flipped", i), err)
		}
	}
	for _, bad := range [][]byte{nil, {}, ct[:phi.Overhead-1], append(bytes.Clone(ct), 0)} {
		if _, err := e.ring.Open(ctx, bad, noteAAD("row-1")); err == nil {
			t.Errorf("Open of %d mangled bytes succeeded", len(bad))
		}
	}
	log := e.log.String()
	if !strings.Contains(log, "integrity failure") || !strings.Contains(log, `"row_id":"row-1"`) {
		t.Errorf("integrity failures not logged with ids; log:\n%s", log)
	}
	if strings.Contains(log, "private thought") {
		t.Error("the log holds plaintext")
	}
}

func TestSwapBetweenPatientsFails(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	// Alice's and Bob's notes, same table and column.
	aliceCT := mustSeal(t, e.ring, alice, noteAAD("row-alice"), "alice's note")
	bobCT := mustSeal(t, e.ring, bob, noteAAD("row-bob"), "bob's note")
	for _, r := range []*phi.Keyring{e.ring, e.fresh()} {
		_, err := r.Open(ctx, aliceCT, noteAAD("row-bob"))
		wantDecryptErr(t, "alice's ciphertext in bob's row", err)
		_, err = r.Open(ctx, bobCT, noteAAD("row-alice"))
		wantDecryptErr(t, "bob's ciphertext in alice's row", err)
	}
	// Even with the same row id (say, one row per patient keyed alike), the
	// key owner's patient id is bound too: bob's key cannot open a value
	// sealed under alice's key once the key id is swapped.
	same := mustSeal(t, e.ring, alice, noteAAD("shared-row"), "alice again")
	bobID, err := e.ring.DataKey(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(same)
	copy(forged[2:18], uuidBytes(t, bobID))
	_, err = e.ring.Open(ctx, forged, noteAAD("shared-row"))
	wantDecryptErr(t, "alice's ciphertext relabelled with bob's key id", err)
	// Another practice's row with the same ids.
	other := noteAAD("row-alice")
	other.OrgID = orgB
	_, err = e.ring.Open(ctx, aliceCT, other)
	wantDecryptErr(t, "alice's ciphertext in another practice", err)
}

func uuidBytes(t *testing.T, id string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(strings.ReplaceAll(id, "-", ""), "%x", &b); err != nil || len(b) != 16 {
		t.Fatalf("bad uuid %q", id)
	}
	return b
}

func TestSwapWithinPatientFails(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	aad := phi.AAD{OrgID: orgA, Table: "intake", Column: "history", RowID: "row-1"}
	ct := mustSeal(t, e.ring, alice, aad, "history")
	for name, moved := range map[string]phi.AAD{
		"another column": {OrgID: orgA, Table: "intake", Column: "medication", RowID: "row-1"},
		"another row":    {OrgID: orgA, Table: "intake", Column: "history", RowID: "row-2"},
		"another table":  {OrgID: orgA, Table: "notes", Column: "history", RowID: "row-1"},
		// Field boundaries are length-prefixed, so shifting text between
		// fields gives other associated data.
		"shifted boundary": {OrgID: orgA, Table: "intakeh", Column: "istory", RowID: "row-1"},
	} {
		_, err := e.ring.Open(ctx, ct, moved)
		wantDecryptErr(t, name, err)
	}
	mustOpen(t, e.ring, ct, aad, "history")
}

func TestShred(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	var aliceCTs [][]byte
	for i := range 3 {
		aliceCTs = append(aliceCTs, mustSeal(t, e.ring, alice, noteAAD(fmt.Sprint("a", i)), "alice"))
	}
	bobCT := mustSeal(t, e.ring, bob, noteAAD("b"), "bob")
	oldID, _ := e.ring.DataKey(ctx, alice)

	if err := e.ring.Shred(ctx, alice); err != nil {
		t.Fatalf("Shred: %v", err)
	}
	for _, r := range []*phi.Keyring{e.ring, e.fresh()} {
		for i, ct := range aliceCTs {
			_, err := r.Open(ctx, ct, noteAAD(fmt.Sprint("a", i)))
			if !errors.Is(err, phi.ErrErased) || errs.KindOf(err) != errs.NotFound {
				t.Errorf("Open after Shred = %v, want ErrErased of kind not_found", err)
			}
			if _, msg, _, _ := errs.Public(err); msg != "error.erased" {
				t.Errorf("public message = %q, want error.erased", msg)
			}
		}
		mustOpen(t, r, bobCT, noteAAD("b"), "bob")
	}
	// The tombstone holds no key material.
	var n int
	if err := e.keys.SQL().QueryRowContext(ctx, `SELECT length(wrapped) FROM data_keys WHERE id = ?`, oldID).Scan(&n); err != nil || n != 0 {
		t.Errorf("wrapped bytes left after Shred: %d, %v", n, err)
	}
	// Alice's record continues under a new key; old data stays erased.
	newCT := mustSeal(t, e.ring, alice, noteAAD("a-new"), "alice later")
	if newID, _ := phi.KeyIDOf(newCT); newID == oldID {
		t.Error("a new key reused the shredded key's id")
	}
	mustOpen(t, e.fresh(), newCT, noteAAD("a-new"), "alice later")
	if _, err := e.ring.Open(ctx, aliceCTs[0], noteAAD("a0")); !errors.Is(err, phi.ErrErased) {
		t.Errorf("old data after a new key = %v, want ErrErased", err)
	}
	if e.allKeyRows(t) != 3 || e.liveKeys(t) != 2 {
		t.Errorf("rows = %d, live = %d; want 3 rows, 2 live", e.allKeyRows(t), e.liveKeys(t))
	}
	// Shredding an owner without a key is a no-op.
	if err := e.ring.Shred(ctx, phi.Owner{OrgID: orgB, PatientID: "nobody"}); err != nil {
		t.Errorf("Shred without a key = %v", err)
	}
}

func TestProviderUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		set    func(p *fakeProvider)
		within time.Duration
	}{
		{"down", func(p *fakeProvider) { p.down = true }, time.Second},
		{"slow", func(p *fakeProvider) { p.delay = 10 * time.Second }, 2 * time.Second},
		{"hung, ignoring ctx", func(p *fakeProvider) { p.delay, p.deaf = 10*time.Second, true }, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, phi.KeyringOptions{ProviderTimeout: 200 * time.Millisecond})
			ctx := context.Background()
			// Bob's key exists, but is not cached in the ring used below.
			bobCT := mustSeal(t, e.ring, bob, noteAAD("b"), "bob")
			cold := e.fresh()
			e.provider.set(tt.set)
			rows := e.allKeyRows(t)

			start := time.Now()
			_, err := cold.Seal(ctx, alice, noteAAD("a"), []byte("alice"))
			wantUnavailable(t, "Seal with a new key", err)
			_, err = cold.Open(ctx, bobCT, noteAAD("b"))
			wantUnavailable(t, "Open with an uncached key", err)
			_, err = cold.BlindIndex(ctx, orgA, "users", "email", "x@example.org")
			wantUnavailable(t, "BlindIndex", err)
			if d := time.Since(start); d > tt.within {
				t.Errorf("three calls took %v, want under %v", d, tt.within)
			}
			if got := e.allKeyRows(t); got != rows {
				t.Errorf("key rows = %d, want %d: nothing may be written while the provider is out", got, rows)
			}
			// A cached key keeps working: no provider call is needed.
			mustOpen(t, e.ring, bobCT, noteAAD("b"), "bob")
		})
	}
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	kind, msg, _, _ := errs.Public(err)
	if kind != errs.Unavailable || msg != "error.keys_unavailable" {
		t.Errorf("%s: err = %v (kind %v, message %q), want unavailable, error.keys_unavailable", what, err, kind, msg)
	}
}

func TestCacheEvicts(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newEnv(t, phi.KeyringOptions{CacheSize: 2, CacheTTL: time.Minute, Now: clock.Now})
	owners := []phi.Owner{
		{OrgID: orgA, PatientID: "p1"}, {OrgID: orgA, PatientID: "p2"}, {OrgID: orgA, PatientID: "p3"},
	}
	var cts [][]byte
	for _, o := range owners {
		cts = append(cts, mustSeal(t, e.ring, o, noteAAD(o.PatientID), o.PatientID))
	}
	unwraps := func() int { return e.provider.count("Unwrap") }
	if unwraps() != 0 {
		t.Fatalf("creating keys unwrapped %d times", unwraps())
	}
	// Size: p1, the least recently used, was evicted; p2 and p3 are cached.
	mustOpen(t, e.ring, cts[2], noteAAD("p3"), "p3")
	mustOpen(t, e.ring, cts[1], noteAAD("p2"), "p2")
	if unwraps() != 0 {
		t.Errorf("cached keys unwrapped %d times", unwraps())
	}
	mustOpen(t, e.ring, cts[0], noteAAD("p1"), "p1")
	if unwraps() != 1 {
		t.Errorf("unwraps after opening an evicted key = %d, want 1", unwraps())
	}
	mustOpen(t, e.ring, cts[0], noteAAD("p1"), "p1")
	if unwraps() != 1 {
		t.Errorf("unwraps after opening it again = %d, want 1", unwraps())
	}
	// TTL: a minute later every key is loaded again, however recently used.
	clock.Advance(59 * time.Second)
	mustOpen(t, e.ring, cts[0], noteAAD("p1"), "p1")
	if unwraps() != 1 {
		t.Errorf("unwraps before the TTL = %d, want 1", unwraps())
	}
	clock.Advance(time.Second)
	mustOpen(t, e.ring, cts[0], noteAAD("p1"), "p1")
	if unwraps() != 2 {
		t.Errorf("unwraps at the TTL = %d, want 2", unwraps())
	}
}

func TestBlindIndex(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	bi := func(r *phi.Keyring, org, table, column, v string) []byte {
		t.Helper()
		b, err := r.BlindIndex(ctx, org, table, column, v)
		if err != nil {
			t.Fatalf("BlindIndex: %v", err)
		}
		if len(b) != phi.BlindIndexSize {
			t.Fatalf("BlindIndex is %d bytes, want %d", len(b), phi.BlindIndexSize)
		}
		return b
	}
	email := phi.NormalizeEmail("  Alice@Example.ORG ")
	base := bi(e.ring, orgA, "users", "email", email)
	if !bytes.Equal(base, bi(e.ring, orgA, "users", "email", phi.NormalizeEmail("alice@example.org"))) {
		t.Error("normalized variants of one address index differently")
	}
	if bytes.Equal(base, bi(e.ring, orgA, "users", "backup_email", email)) {
		t.Error("one value indexes alike in two columns")
	}
	if bytes.Equal(base, bi(e.ring, orgA, "contacts", "email", email)) {
		t.Error("one value indexes alike in two tables")
	}
	if bytes.Equal(base, bi(e.ring, orgB, "users", "email", email)) {
		t.Error("one value indexes alike in two practices")
	}
	if bytes.Equal(base, bi(e.ring, orgA, "users", "email", "bob@example.org")) {
		t.Error("two values index alike")
	}
	// Stable across a KEK rotation and rewrap, and across processes.
	if _, err := e.provider.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ring.RewrapAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(base, bi(e.fresh(), orgA, "users", "email", email)) {
		t.Error("blind index changed after a KEK rotation")
	}
	if _, err := e.ring.BlindIndex(ctx, orgA, "users", "email", ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("BlindIndex of empty = %v, want errs.Invalid", err)
	}
	// The index key is no data key: its id cannot open anything, and
	// sealing never uses it.
	if st, _ := e.ring.KeyStatus(ctx); st[2] != 2 {
		t.Errorf("KeyStatus = %v, want the two practices' index keys", st)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{" A.B@Example.Org\t": "a.b@example.org", "": ""} {
		if got := phi.NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"+49 (30) 123-45": "+493012345", " +1 555 0100": "+15550100", "030 / 123 45": "03012345",
		"12+34": "1234", "+": "", "abc": "", "": "", "٣٤": "",
	} {
		if got := phi.NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDataKeyConcurrent starts 50 creators of one owner's key on ten
// keyrings (ten replicas) over one keystore: exactly one key may result.
func TestDataKeyConcurrent(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	rings := []*phi.Keyring{e.ring}
	for range 9 {
		rings = append(rings, e.fresh())
	}
	ctx := context.Background()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[string]int{}
	)
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			id, err := rings[i%len(rings)].DataKey(ctx, alice)
			if err != nil {
				t.Errorf("DataKey: %v", err)
				return
			}
			mu.Lock()
			ids[id]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if len(ids) != 1 || e.allKeyRows(t) != 1 {
		t.Errorf("DataKey ids = %v, key rows = %d; want one key", ids, e.allKeyRows(t))
	}
	// Each ring created at most one key in the provider.
	if n := e.provider.count("GenerateDataKey"); n > len(rings) {
		t.Errorf("GenerateDataKey called %d times, want at most one per ring", n)
	}
}

// TestErrorsHoldNoPlaintext checks that no error the Keyring returns quotes
// the data.
func TestErrorsHoldNoPlaintext(t *testing.T) {
	const canary = "CANARY-7f3a9"
	e := newEnv(t, phi.KeyringOptions{ProviderTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	ct := mustSeal(t, e.ring, alice, noteAAD("r"), canary)
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 1
	_, err1 := e.ring.Open(ctx, bad, noteAAD("r"))
	_, err2 := e.ring.Open(ctx, ct, noteAAD("other"))
	e.provider.set(func(p *fakeProvider) { p.down = true })
	_, err3 := e.ring.Seal(ctx, bob, noteAAD("r"), []byte(canary))
	for _, err := range []error{err1, err2, err3} {
		if err == nil || strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), canary) {
			t.Errorf("error %v is nil or holds the plaintext", err)
		}
	}
	if strings.Contains(e.log.String(), canary) {
		t.Error("the log holds the plaintext")
	}
}

// TestSealedProviderStopsCachedKeys: once the provider stops answering, even
// keys already in the cache stop working within the check interval, so
// sealing Vault in an emergency stops access to PHI; when the provider is
// back, so is access.
func TestSealedProviderStopsCachedKeys(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, phi.KeyringOptions{ProviderTimeout: 200 * time.Millisecond, ProviderCheckInterval: 10 * time.Second, Now: clock.Now})
	ctx := context.Background()
	ct := mustSeal(t, e.ring, bob, noteAAD("b"), "bob")
	mustOpen(t, e.ring, ct, noteAAD("b"), "bob") // cached now

	e.provider.set(func(p *fakeProvider) { p.down = true })
	// Within the interval the cached key still works.
	mustOpen(t, e.ring, ct, noteAAD("b"), "bob")
	clock.Advance(11 * time.Second)
	_, err := e.ring.Open(ctx, ct, noteAAD("b"))
	wantUnavailable(t, "Open of a cached key with the provider down", err)
	_, err = e.ring.Seal(ctx, bob, noteAAD("b2"), []byte("more"))
	wantUnavailable(t, "Seal with a cached key and the provider down", err)

	e.provider.set(func(p *fakeProvider) { p.down = false })
	mustOpen(t, e.ring, ct, noteAAD("b"), "bob")
}
