package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

func testEntry() Entry {
	return Entry{
		OrgID: "org-1", Seq: 7, Time: time.Date(2025, 5, 1, 12, 0, 0, 123456000, time.UTC),
		ActorID: "user-1", ActorRole: "therapist", Action: "note.read",
		ResourceType: "note", ResourceID: "note-1", PatientID: "patient-1",
		Outcome: Success, Purpose: PurposeNormal, Category: CategoryHealth,
		IP: "192.0.2.1", UserAgent: "UA", RequestID: "req-1",
		Fields: []string{"note.body"}, DataHash: HashData([]byte("x")),
		PrevHash: GenesisHash(),
	}
}

// TestEntryHashGolden pins the canonical encoding: a change to it would make
// every stored chain fail verification, so it needs a new version tag.
func TestEntryHashGolden(t *testing.T) {
	got := hex.EncodeToString(EntryHash(testEntry()))
	const want = "9089348f416c36016a72eb75e2beb0d158e74249db6977d9421b4b7adae0d6c2"
	if got != want {
		t.Errorf("EntryHash = %s, want %s", got, want)
	}
}

// TestCanonicalEntryUnambiguous checks that moving bytes between adjacent
// fields, or between Fields elements, changes the encoding.
func TestCanonicalEntryUnambiguous(t *testing.T) {
	base := testEntry()
	variants := map[string]func(e *Entry){
		"actor/role boundary": func(e *Entry) { e.ActorID, e.ActorRole = "user-1t", "herapist" },
		"fields split":        func(e *Entry) { e.Fields = []string{"note", "body"} },
		"fields joined":       func(e *Entry) { e.Fields = []string{"note.body,x"} },
		"empty field":         func(e *Entry) { e.Fields = []string{"note.body", ""} },
		"no fields":           func(e *Entry) { e.Fields = nil },
		"seq":                 func(e *Entry) { e.Seq = 8 },
		"time":                func(e *Entry) { e.Time = e.Time.Add(time.Microsecond) },
		"patient moved":       func(e *Entry) { e.ResourceID, e.PatientID = "note-1patient-1", "" },
		"outcome":             func(e *Entry) { e.Outcome = Denied },
		"purpose":             func(e *Entry) { e.Purpose = PurposeBreakGlass },
		"category":            func(e *Entry) { e.Category = CategorySecurity },
	}
	seen := map[string]string{string(CanonicalEntry(base)): "base"}
	for name, change := range variants {
		e := testEntry()
		change(&e)
		enc := string(CanonicalEntry(e))
		if other, dup := seen[enc]; dup {
			t.Errorf("%s encodes like %s", name, other)
		}
		seen[enc] = name
	}
	if !bytes.Equal(CanonicalEntry(base), CanonicalEntry(testEntry())) {
		t.Error("encoding is not deterministic")
	}
	e := testEntry()
	e.PrevHash = bytes.Repeat([]byte{1}, HashSize)
	if bytes.Equal(EntryHash(e), EntryHash(base)) {
		t.Error("EntryHash ignores PrevHash")
	}
	e = testEntry()
	e.Hash = []byte("ignored")
	if !bytes.Equal(EntryHash(e), EntryHash(base)) {
		t.Error("EntryHash depends on Hash")
	}
}

func validEvent() Event {
	return Event{
		OrgID: "0196a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ActorID: "user-1", ActorRole: "therapist",
		Action: "note.read", ResourceType: "note", ResourceID: "note-1", PatientID: "patient-1",
		Outcome: Success, Purpose: PurposeNormal, Category: CategoryHealth,
		IP: netip.MustParseAddr("2001:db8::1"), UserAgent: "Mozilla/5.0 (X11; Linux) Grüße",
		RequestID: "AbC_-12", Fields: []string{"note.body", "note.title"}, DataHash: HashData([]byte("x")),
	}
}

func TestValidate(t *testing.T) {
	if err := (&Event{OrgID: "o", ActorID: "system", ActorRole: "system", Action: "audit.purge",
		Outcome: Success, Purpose: PurposeSystem, Category: CategoryAdministration}).Validate(); err != nil {
		t.Errorf("minimal event: %v", err)
	}
	ev := validEvent()
	if err := ev.Validate(); err != nil {
		t.Fatalf("valid event: %v", err)
	}
	tests := []struct {
		field  string
		change func(e *Event)
		msg    string
	}{
		{"org_id", func(e *Event) { e.OrgID = "" }, msgRequired},
		{"actor_id", func(e *Event) { e.ActorID = "" }, msgRequired},
		{"actor_id", func(e *Event) { e.ActorID = "jane@example.org" }, msgInvalidFormat},
		{"actor_id", func(e *Event) { e.ActorID = strings.Repeat("a", 129) }, msgTooLong},
		{"patient_id", func(e *Event) { e.PatientID = "Jane Doe" }, msgInvalidFormat},
		{"resource_id", func(e *Event) { e.ResourceID = "note\n1" }, msgInvalidFormat},
		{"resource_type", func(e *Event) { e.ResourceType = "" }, msgRequired},
		{"actor_role", func(e *Event) { e.ActorRole = "Therapist" }, msgInvalidFormat},
		{"action", func(e *Event) { e.Action = "read" }, msgInvalidFormat},
		{"action", func(e *Event) { e.Action = "note..read" }, msgInvalidFormat},
		{"action", func(e *Event) { e.Action = "note.read." }, msgInvalidFormat},
		{"action", func(e *Event) { e.Action = "" }, msgRequired},
		{"outcome", func(e *Event) { e.Outcome = "ok" }, msgInvalidChoice},
		{"purpose", func(e *Event) { e.Purpose = "" }, msgRequired},
		{"category", func(e *Event) { e.Category = "medical" }, msgInvalidChoice},
		{"user_agent", func(e *Event) { e.UserAgent = "a\x1bb" }, msgInvalidFormat},
		{"user_agent", func(e *Event) { e.UserAgent = "a\u2028b" }, msgInvalidFormat},
		{"user_agent", func(e *Event) { e.UserAgent = "\xff" }, msgInvalidFormat},
		{"user_agent", func(e *Event) { e.UserAgent = strings.Repeat("a", 513) }, msgTooLong},
		{"request_id", func(e *Event) { e.RequestID = "a b" }, msgInvalidFormat},
		{"fields", func(e *Event) { e.Fields = []string{"note.body", "note.body"} }, msgInvalidFormat},
		{"fields", func(e *Event) { e.Fields = []string{"note,body"} }, msgInvalidFormat},
		{"fields", func(e *Event) { e.Fields = []string{""} }, msgInvalidFormat},
		{"fields", func(e *Event) { e.Fields = make([]string, 65) }, msgTooLong},
		{"data_hash", func(e *Event) { e.DataHash = "secret value" }, msgInvalidFormat},
		{"data_hash", func(e *Event) { e.DataHash = strings.ToUpper(HashData(nil)) }, msgInvalidFormat},
	}
	for _, tt := range tests {
		ev := validEvent()
		tt.change(&ev)
		err := ev.Validate()
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s (%s): err = %v, want Invalid", tt.field, tt.msg, err)
			continue
		}
		_, _, _, fields := errs.Public(err)
		if len(fields) != 1 || fields[0].Field != tt.field || fields[0].Message != tt.msg {
			t.Errorf("%s: fields = %+v, want one %s", tt.field, fields, tt.msg)
		}
	}
}

func TestCleanUserAgent(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0": "Mozilla/5.0",
		"a\nb\x00c":   "a\uFFFDb\uFFFDc",
		"bad \xff":    "bad \uFFFD",
	} {
		if got := CleanUserAgent(in); got != want {
			t.Errorf("CleanUserAgent(%q) = %q, want %q", in, got, want)
		}
	}
	long := CleanUserAgent(strings.Repeat("é", 400))
	ev := validEvent()
	ev.UserAgent = long
	if len(long) > maxUserAgentLen || ev.Validate() != nil {
		t.Errorf("CleanUserAgent(long) = %d bytes, valid: %v", len(long), ev.Validate())
	}
}

func TestSignerNeverPrintsKey(t *testing.T) {
	seed := bytes.Repeat([]byte{0x5a}, 32)
	s, err := NewSigner(seed)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "signer", s)
	outs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, *s))
	}
	secrets := []string{base64.StdEncoding.EncodeToString(seed), hex.EncodeToString(seed), "5a5a5a", "ZaZaZa", "90 90 90"}
	for _, out := range outs {
		for _, secret := range secrets {
			if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
				t.Errorf("output %q holds the key", out)
			}
		}
	}
	if _, err := NewSigner(seed[:31]); err == nil {
		t.Error("NewSigner accepted a short seed")
	}
}

func TestLoadSigningKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit-signing.key")
	if _, err := LoadSigningKey(path, false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing without create = %v", err)
	}
	s1, err := LoadSigningKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	s2, err := LoadSigningKey(path, true)
	if err != nil || s2.KeyID() != s1.KeyID() || !bytes.Equal(s1.PublicKey(), s2.PublicKey()) {
		t.Errorf("reload gave another key: %v", err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSigningKey(path, false)
	if ke, ok := errors.AsType[*KeyFileError](err); !ok || !strings.Contains(ke.Problem, "chmod 600") {
		t.Errorf("group-readable key = %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigningKey(bad, true); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Errorf("bad key file = %v", err)
	}
	if len(s1.KeyID()) != 16 || KeyID(s1.PublicKey()) != s1.KeyID() {
		t.Errorf("KeyID = %q", s1.KeyID())
	}
}

// fakeStore is a Store whose AppendAudit can fail or block.
type fakeStore struct {
	Store // nil: the recorder tests call only AppendAudit
	mu    sync.Mutex
	err   error
	block chan struct{}
	heads map[string]Head
	calls int
}

func (f *fakeStore) AppendAudit(ctx context.Context, orgs []string, build func([]Head) (Append, error)) error {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	var hs []Head
	for _, o := range orgs {
		h, ok := f.heads[o]
		if !ok {
			h = Head{OrgID: o, Hash: GenesisHash()}
		}
		hs = append(hs, h)
	}
	a, err := build(hs)
	if err != nil {
		return err
	}
	for _, h := range a.Heads {
		f.heads[h.OrgID] = h
	}
	return nil
}

func newTestSigner(t *testing.T) *Signer {
	s, err := NewSigner(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecordFailsClosed(t *testing.T) {
	ctx := context.Background()
	fs := &fakeStore{heads: map[string]Head{}, err: errs.Wrap(errors.New("disk full"), errs.Internal, "store")}
	r, err := NewRecorder(fs, newTestSigner(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := r.Record(ctx, validEvent())
			if !errs.Is(err, errs.Unavailable) {
				t.Errorf("Record with a failing store = %v, want Unavailable", err)
			}
		})
	}
	wg.Wait()
	fs.mu.Lock()
	fs.err = nil
	fs.mu.Unlock()
	if err := r.Record(ctx, validEvent()); err != nil {
		t.Errorf("Record after recovery = %v", err)
	}
}

// TestRecordWaitsWhenFull: with the store stuck and the queue full, Record
// waits and then gives up with its context, never dropping silently.
func TestRecordWaitsWhenFull(t *testing.T) {
	fs := &fakeStore{heads: map[string]Head{}, block: make(chan struct{})}
	r, err := NewRecorder(fs, newTestSigner(t), Options{QueueSize: 1, MaxBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			results <- r.Record(ctx, validEvent())
		})
	}
	wg.Wait()
	close(results)
	for err := range results {
		if !errs.Is(err, errs.Unavailable) {
			t.Errorf("Record = %v, want Unavailable after the context ends", err)
		}
	}
	close(fs.block)
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Record(context.Background(), validEvent()); !errs.Is(err, errs.Unavailable) {
		t.Errorf("Record after Close = %v", err)
	}
}

func TestRecordBatchesAndChains(t *testing.T) {
	fs := &fakeStore{heads: map[string]Head{}, block: make(chan struct{})}
	r, err := NewRecorder(fs, newTestSigner(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if err := r.Record(context.Background(), validEvent()); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the blocked first batch
	close(fs.block)
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if h := fs.heads[validEvent().OrgID]; h.Seq != 100 || h.CheckpointSeq != 100 {
		t.Errorf("head = %+v, want seq 100 checkpointed", h)
	}
	if fs.calls >= 50 {
		t.Errorf("%d transactions for 100 entries: no batching", fs.calls)
	}
	if _, err := NewRecorder(fs, newTestSigner(t), Options{Retention: map[Category]time.Duration{CategoryHealth: -1}}); err == nil {
		t.Error("negative retention accepted")
	}
}
