package notify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/phi"
)

// fakeClock returns start, then start plus a second more on every call.
func fakeClock(start time.Time) func() time.Time {
	t := start.Add(-time.Second)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

var t0 = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)

func newOutbox(t *testing.T) (*notify.Outbox, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := notify.NewOutbox(dir, fakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	return o, dir
}

func mustSend(t *testing.T, s notify.Sender, m notify.Message) {
	t.Helper()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

// entryView makes OutboxEntry comparable: phi.Text compares by identity.
type entryView struct {
	Time          time.Time
	To            string
	Subject, Kind string
}

func view(e notify.OutboxEntry) entryView {
	return entryView{e.Time, e.To.Reveal(), e.Subject, e.Kind}
}

func TestOutboxSendListRead(t *testing.T) {
	ctx := context.Background()
	o, dir := newOutbox(t)
	mustSend(t, o, notify.Message{To: phi.NewText("a@example.org"), Subject: "First", Text: "one", Kind: "invitation"})
	mustSend(t, o, notify.Message{To: phi.NewText("Bé <b@example.org>"), Subject: "Zweite Grüße", Text: "zwei\nZeilen", HTML: "<p>zwei</p>", Kind: "reset"})
	mustSend(t, o, notify.Message{To: phi.NewText("c@example.org"), Subject: "Third", Text: "three", Kind: "invitation"})

	all, err := o.List(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []entryView
	for _, e := range all {
		got = append(got, view(e))
	}
	want := []entryView{
		{t0.Add(2 * time.Second), "c@example.org", "Third", "invitation"},
		{t0.Add(time.Second), "b@example.org", "Zweite Grüße", "reset"},
		{t0, "a@example.org", "First", "invitation"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if two, err := o.List(ctx, 2); err != nil || len(two) != 2 || two[0].ID != all[0].ID {
		t.Errorf("List(2) = %d entries, %v", len(two), err)
	}

	m, err := o.Read(ctx, all[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1], view(m.OutboxEntry)); diff != "" {
		t.Errorf("Read entry (-want +got):\n%s", diff)
	}
	if m.Text != "zwei\nZeilen\n" || m.HTML != "<p>zwei</p>\n" {
		t.Errorf("Read bodies = %q, %q", m.Text, m.HTML)
	}
	if !strings.Contains(string(m.Raw), "multipart/alternative") || !strings.Contains(string(m.Raw), "X-Astral-Kind: reset") {
		t.Errorf("Raw lacks the MIME structure or kind:\n%s", m.Raw)
	}

	// Modes: the directory and every file are the owner's alone.
	assertMode(t, dir, 0o700)
	files, _ := os.ReadDir(dir)
	if len(files) != 3 {
		t.Errorf("outbox holds %d files, want 3", len(files))
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".eml") {
			t.Errorf("unexpected file %q", f.Name())
		}
		assertMode(t, filepath.Join(dir, f.Name()), 0o600)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), got, want)
	}
}

func TestNewOutboxNarrowsAnOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := notify.NewOutbox(dir, nil); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	if _, err := notify.NewOutbox("", nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("NewOutbox(\"\"): %v, want Invalid", err)
	}
}

func TestOutboxReadRefusesBadIDs(t *testing.T) {
	ctx := context.Background()
	o, dir := newOutbox(t)
	mustSend(t, o, notify.Message{To: phi.NewText("a@example.org"), Subject: "s", Text: "t", Kind: "reset"})
	entries, err := o.List(ctx, 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("List: %d, %v", len(entries), err)
	}
	id := entries[0].ID
	// A file next to the outbox that traversal would reach.
	secret := filepath.Join(filepath.Dir(dir), "secret.eml")
	if err := os.WriteFile(secret, []byte("Subject: secret\r\n\r\nsecret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A stray file in the outbox that is not a message.
	if err := os.WriteFile(filepath.Join(dir, "notes.eml"), []byte("Subject: x\r\n\r\nx\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"", "../secret", "..%2fsecret", "../outbox/" + id, "/etc/passwd", secret, "notes",
		id + ".eml", id + "/", id + "\x00", " " + id, strings.ToUpper(id),
		id + "0", // one character too many
		strings.Replace(id, id[len(id)-16:], "0000000000000000", 1), // valid shape, no file
	} {
		if _, err := o.Read(ctx, bad); !errs.Is(err, errs.NotFound) {
			t.Errorf("Read(%q): %v, want NotFound", bad, err)
		}
	}
	if got, _ := o.List(ctx, 0); len(got) != 1 {
		t.Errorf("List shows %d entries; a stray file or temporary file leaked in", len(got))
	}
}

func TestOutboxSendRefuses(t *testing.T) {
	o, dir := newOutbox(t)
	err := o.Send(context.Background(), notify.Message{To: phi.NewText("not an address"), Text: "t", Kind: "reset"})
	if !errs.Is(err, errs.Invalid) || strings.Contains(err.Error(), "not an address") {
		t.Errorf("bad address: %v, want Invalid without the value", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, notify.Message{To: phi.NewText("a@example.org"), Text: "t", Kind: "reset"}); !errs.Is(err, errs.Unavailable) {
		t.Errorf("cancelled ctx: %v, want Unavailable", err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("refused messages left %d files", len(files))
	}
}
