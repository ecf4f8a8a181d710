package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey"
	"github.com/astralcore/astral/internal/store/storetest"
)

// End-to-end tests of `astral keys` as an operator runs it: real data keys
// are made by the app in-process, then the commands run through run().

// result is one run of the astral command.
type result struct {
	stdout, stderr string
	err            error
}

// status is the exit status main would give the process.
func (r result) status() int {
	var ex *exitError
	switch {
	case r.err == nil:
		return 0
	case errors.As(r.err, &ex):
		return ex.code
	}
	return 1
}

// shown is everything the operator sees: stdout, stderr and the message main
// prints for the error.
func (r result) shown() string {
	msg := ""
	var ex *exitError
	switch {
	case r.err == nil:
	case errors.As(r.err, &ex):
		msg = ex.msg
	default:
		msg = "astral: " + r.err.Error()
	}
	return r.stdout + r.stderr + msg
}

// astral runs `astral args...` with env and ctx.
func astral(ctx context.Context, env map[string]string, stdout io.Writer, args ...string) result {
	var out, errOut bytes.Buffer
	if stdout == nil {
		stdout = &out
	}
	err := run(ctx, append([]string{"astral"}, args...), func(k string) string { return env[k] }, stdout, &errOut)
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// mustKeys runs `astral keys args...` and fails the test unless it succeeds.
func mustKeys(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := astral(context.Background(), env, nil, append([]string{"keys"}, args...)...)
	if r.err != nil {
		t.Fatalf("astral keys %s: exit %d\n%s", strings.Join(args, " "), r.status(), r.shown())
	}
	return r.stdout
}

// sealedValue is one value the app sealed, with what it must open to.
type sealedValue struct {
	aad        phi.AAD
	plaintext  string
	ciphertext []byte
}

// openTestApp opens the app as `astral serve` would, with env.
func openTestApp(t *testing.T, env map[string]string) *app {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a, err := openApp(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	return a
}

// sealValues opens the app and seals two values for each owner, which makes
// one data key per owner.
func sealValues(t *testing.T, env map[string]string, owners ...phi.Owner) []sealedValue {
	t.Helper()
	a := openTestApp(t, env)
	defer func() {
		if err := a.Close(); err != nil {
			t.Errorf("close app: %v", err)
		}
	}()
	var out []sealedValue
	for _, o := range owners {
		for i := range 2 {
			aad := phi.AAD{OrgID: o.OrgID, Table: "journal_entries", Column: "body", RowID: fmt.Sprintf("%s-%s-%d", o.OrgID, o.PatientID, i)}
			pt := "entry " + aad.RowID
			ct, err := a.keyring.Seal(context.Background(), o, aad, []byte(pt))
			if err != nil {
				t.Fatalf("seal for %+v: %v", o, err)
			}
			out = append(out, sealedValue{aad: aad, plaintext: pt, ciphertext: ct})
		}
	}
	return out
}

// openValues reopens the app and checks that every value still opens.
func openValues(t *testing.T, env map[string]string, values []sealedValue) {
	t.Helper()
	a := openTestApp(t, env)
	defer a.Close()
	for _, v := range values {
		got, err := a.keyring.Open(context.Background(), v.ciphertext, v.aad)
		if err != nil {
			t.Errorf("open %s: %v", v.aad.RowID, err)
			continue
		}
		if string(got) != v.plaintext {
			t.Errorf("open %s = %q, want %q", v.aad.RowID, got, v.plaintext)
		}
	}
}

// cancelWriter cancels a context when a line containing marker is written:
// it stops `astral keys rewrap` right after its first progress line, as an
// operator pressing Ctrl-C would.
type cancelWriter struct {
	bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(string(p), w.marker) {
		w.cancel()
	}
	return n, err
}

// wantLines fails unless out has each line, whole.
func wantLines(t *testing.T, what, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(l) + `$`).MatchString(out) {
			t.Errorf("%s lacks the line %q:\n%s", what, l, out)
		}
	}
}

// newKey returns a fresh base64 master key, as
// `head -c 32 /dev/urandom | base64` makes one.
func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestKeysLifecycleDevelopmentKey(t *testing.T) {
	dir := t.TempDir()
	testKeysLifecycle(t, map[string]string{"ASTRAL_DATA_DIR": dir}, filepath.Join(dir, localkey.DevKeyFile), "")
}

func TestKeysLifecycleKeyFile(t *testing.T) {
	// The form an operator writes by hand: one base64 key, mode 0600, kept
	// away from the data directory.
	key := newKey(t)
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testKeysLifecycle(t, map[string]string{"ASTRAL_DATA_DIR": t.TempDir(), "ASTRAL_MASTER_KEY_FILE": path}, path, key)
}

func TestKeysLifecyclePostgres(t *testing.T) {
	data, keys := storetest.PostgresURL(t), storetest.PostgresURL(t)
	key := newKey(t)
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	testKeysLifecycle(t, map[string]string{
		"ASTRAL_DATA_DIR":          t.TempDir(),
		"ASTRAL_DATABASE_URL":      data,
		"ASTRAL_KEYS_DATABASE_URL": keys,
		"ASTRAL_MASTER_KEY_FILE":   path,
	}, path, key)
}

// testKeysLifecycle walks status, rotate, an interrupted and a resumed
// rewrap, retire, on data keys the app made. keyFile is the local key file
// the commands change; secret, if set, must never be printed.
func testKeysLifecycle(t *testing.T, env map[string]string, keyFile, secret string) {
	var seen strings.Builder // everything printed, checked for the key at the end
	keys := func(args ...string) string {
		t.Helper()
		out := mustKeys(t, env, args...)
		seen.WriteString(out)
		return out
	}

	owners := []phi.Owner{
		{OrgID: "org-a", PatientID: "patient-1"},
		{OrgID: "org-a", PatientID: "patient-2"},
		{OrgID: "org-a", PatientID: "patient-3"},
		{OrgID: "org-a"}, // the practice's own key
		{OrgID: "org-b", PatientID: "patient-9"},
	}
	values := sealValues(t, env, owners...)
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v, want mode 0600", keyFile, err)
	}

	out := keys("status")
	wantLines(t, "status before rotating", out,
		"Key provider: local (latest KEK version 1, minimum decryption version 1)",
		"  v1: 5")
	if strings.Contains(out, "older versions") {
		t.Errorf("status reports stale keys before any rotation:\n%s", out)
	}

	out = keys("rotate")
	wantLines(t, "rotate", out, "Rotated: new data keys are wrapped under KEK version 2.")
	out = keys("status")
	wantLines(t, "status after rotating", out,
		"Key provider: local (latest KEK version 2, minimum decryption version 1)",
		"  v1: 5", "  v2: 0",
		"5 data key(s) are on older versions; run 'astral keys rewrap'.")

	// Old keys still open, and a new owner's key uses the new version.
	openValues(t, env, values)
	values = append(values, sealValues(t, env, phi.Owner{OrgID: "org-b", PatientID: "patient-10"})...)
	wantLines(t, "status after a new key", keys("status"), "  v1: 5", "  v2: 1")

	// Retiring v1 while keys use it is refused, and says what to do.
	r := astral(context.Background(), env, nil, "keys", "retire", "2")
	seen.WriteString(r.shown())
	if r.status() == 0 || !strings.Contains(r.shown(), "5 data key") || !strings.Contains(r.shown(), "astral keys rewrap") {
		t.Errorf("retire before rewrap: exit %d, want non-zero with a count and 'astral keys rewrap':\n%s", r.status(), r.shown())
	}

	// A rewrap stopped after its first key, as by Ctrl-C.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{marker: "rewrapped 1 of", cancel: cancel}
	r = astral(ctx, env, w, "keys", "rewrap")
	seen.WriteString(w.String() + r.shown())
	if r.status() == 0 || !strings.Contains(r.shown(), "run it again") {
		t.Errorf("interrupted rewrap: exit %d, want non-zero telling to run it again:\n%s%s", r.status(), w.String(), r.shown())
	}
	if got := w.String(); got != "rewrapped 1 of 5\n" {
		t.Errorf("interrupted rewrap printed %q, want one progress line", got)
	}
	wantLines(t, "status after an interrupted rewrap", keys("status"),
		"  v1: 4", "  v2: 2", "4 data key(s) are on older versions; run 'astral keys rewrap'.")

	out = keys("rewrap")
	wantLines(t, "resumed rewrap", out, "rewrapped 4 of 4", "Rewrapped 4 data key(s); no data was re-encrypted.")
	out = keys("status")
	wantLines(t, "status after rewrap", out, "  v1: 0", "  v2: 6")
	if strings.Contains(out, "older versions") {
		t.Errorf("status still reports stale keys:\n%s", out)
	}
	openValues(t, env, values)

	out = keys("retire", "2")
	wantLines(t, "retire", out, "KEK versions below 2 are retired: keys wrapped under them no longer open.")
	out = keys("status")
	wantLines(t, "status after retire", out,
		"Key provider: local (latest KEK version 2, minimum decryption version 2)", "  v2: 6")
	if strings.Contains(out, "  v1:") {
		t.Errorf("status lists retired v1:\n%s", out)
	}
	openValues(t, env, values)
	wantLines(t, "rewrap with nothing to do", keys("rewrap"), "Rewrapped 0 data key(s); no data was re-encrypted.")

	// Retiring above the latest version is refused, without sending the
	// operator to a rewrap that cannot help.
	r = astral(context.Background(), env, nil, "keys", "retire", "3")
	seen.WriteString(r.shown())
	if r.status() != 2 || !strings.Contains(r.shown(), "latest is 2") || strings.Contains(r.shown(), "rewrap") {
		t.Errorf("retire 3 with latest 2: exit %d, want 2 naming the latest version:\n%s", r.status(), r.shown())
	}

	// The key file now holds both versions in the JSON form, still 0600.
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
		Min int `json:"min_decryption_version"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Versions) != 2 || doc.Min != 2 {
		t.Errorf("key file after rotate and retire: %d versions, min %d, err %v", len(doc.Versions), doc.Min, err)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file after rewrites: %v, mode %v, want 0600", err, st.Mode().Perm())
	}
	if secret != "" && strings.Contains(seen.String(), secret) {
		t.Errorf("the master key was printed")
	}
}

func TestKeysUsage(t *testing.T) {
	env := map[string]string{"ASTRAL_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{"keys"},
		{"keys", "frobnicate"},
		{"keys", "retire"},
		{"keys", "retire", "x"},
		{"keys", "retire", "0"},
		{"keys", "retire", "-1"},
		{"keys", "status", "extra"},
		{"keys", "rotate", "--no-such-flag"},
	} {
		r := astral(context.Background(), env, nil, args...)
		if r.status() != 2 || !strings.Contains(r.shown(), "astral") {
			t.Errorf("astral %s: exit %d, want 2 with a message:\n%s", strings.Join(args, " "), r.status(), r.shown())
		}
	}
	// Usage errors are found before anything is opened or created.
	if entries, _ := os.ReadDir(env["ASTRAL_DATA_DIR"]); len(entries) != 0 {
		t.Errorf("usage errors created %d files in the data directory", len(entries))
	}
}

// With ASTRAL_MASTER_KEY the keys are read-only: rotate and retire refuse
// and say what to edit instead; the documented procedure (append a version,
// rewrap, drop the old one) works; the key is never printed.
func TestKeysFromEnvironment(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	env := map[string]string{"ASTRAL_DATA_DIR": t.TempDir(), "ASTRAL_MASTER_KEY": k1}
	values := sealValues(t, env, phi.Owner{OrgID: "org-a", PatientID: "patient-1"}, phi.Owner{OrgID: "org-a"})
	var seen strings.Builder

	out := mustKeys(t, env, "status")
	seen.WriteString(out)
	wantLines(t, "status", out, "Key provider: local (latest KEK version 1, minimum decryption version 1)", "  v1: 2")

	r := astral(context.Background(), env, nil, "keys", "rotate")
	seen.WriteString(r.shown())
	if r.status() == 0 {
		t.Fatalf("rotate with ASTRAL_MASTER_KEY succeeded:\n%s", r.shown())
	}
	for _, want := range []string{"ASTRAL_MASTER_KEY", "1:OLD,2:NEW", "ASTRAL_MASTER_KEY_FILE"} {
		if !strings.Contains(r.shown(), want) {
			t.Errorf("rotate refusal does not mention %q:\n%s", want, r.shown())
		}
	}
	if _, err := os.Stat(filepath.Join(env["ASTRAL_DATA_DIR"], localkey.DevKeyFile)); err == nil {
		t.Errorf("a development key file was created although ASTRAL_MASTER_KEY is set")
	}

	// The operator appends version 2 and reruns.
	env["ASTRAL_MASTER_KEY"] = "1:" + k1 + ",2:" + k2
	out = mustKeys(t, env, "status")
	seen.WriteString(out)
	wantLines(t, "status with two versions", out, "  v1: 2", "  v2: 0", "2 data key(s) are on older versions; run 'astral keys rewrap'.")
	out = mustKeys(t, env, "rewrap")
	seen.WriteString(out)
	wantLines(t, "rewrap", out, "Rewrapped 2 data key(s); no data was re-encrypted.")

	r = astral(context.Background(), env, nil, "keys", "retire", "2")
	seen.WriteString(r.shown())
	if r.status() == 0 || !strings.Contains(r.shown(), "remove them from the variable") {
		t.Errorf("retire with ASTRAL_MASTER_KEY: exit %d, want non-zero saying to edit the variable:\n%s", r.status(), r.shown())
	}

	// The operator drops version 1: the lowest listed is the minimum.
	env["ASTRAL_MASTER_KEY"] = "2:" + k2
	out = mustKeys(t, env, "status")
	seen.WriteString(out)
	wantLines(t, "status after dropping v1", out, "Key provider: local (latest KEK version 2, minimum decryption version 2)", "  v2: 2")
	openValues(t, env, values)

	if s := seen.String(); strings.Contains(s, k1) || strings.Contains(s, k2) {
		t.Errorf("a master key was printed:\n%s", s)
	}
}
