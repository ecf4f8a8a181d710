package localkey

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey/keyfile"
)

// testKey returns base64 of 32 bytes all equal to b.
func testKey(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// newFileProvider writes a one-version key file and opens it.
func newFileProvider(t *testing.T) (*Provider, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master-key.json")
	s, err := newSet(nowUTC())
	if err != nil {
		t.Fatal(err)
	}
	if err := keyfile.WriteFile(path, s); err != nil {
		t.Fatal(err)
	}
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return p, path
}

func mustGenerate(t *testing.T, p *Provider, aad string) ([]byte, phi.WrappedKey) {
	t.Helper()
	dek, w, err := p.GenerateDataKey(context.Background(), []byte(aad))
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	return dek, w
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, p := range map[string]*Provider{
		"env":  must(FromEnv(testKey(1))),
		"file": func() *Provider { p, _ := newFileProvider(t); return p }(),
	} {
		t.Run(name, func(t *testing.T) {
			dek, w := mustGenerate(t, p, "patient:42")
			if len(dek) != 32 || w.Version != 1 {
				t.Fatalf("dek len %d, version %d; want 32, 1", len(dek), w.Version)
			}
			_, w2 := mustGenerate(t, p, "patient:42")
			if bytes.Equal(w.Ciphertext, w2.Ciphertext) {
				t.Error("two wraps are identical; nonce reuse?")
			}
			got, err := p.Unwrap(ctx, w, []byte("patient:42"))
			if err != nil || !bytes.Equal(got, dek) {
				t.Fatalf("Unwrap = %x, %v; want %x", got, err, dek)
			}
			if bytes.Contains(w.Ciphertext, dek) {
				t.Error("the wrapped key contains the plaintext")
			}
			if err := p.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if p.Name() != "local" {
				t.Errorf("Name = %q", p.Name())
			}
		})
	}
}

func must(p *Provider, err error) *Provider {
	if err != nil {
		panic(err)
	}
	return p
}

func TestUnwrapFailures(t *testing.T) {
	ctx := context.Background()
	p, _ := newFileProvider(t)
	_, w := mustGenerate(t, p, "row:1")
	for i := range w.Ciphertext {
		c := bytes.Clone(w.Ciphertext)
		c[i] ^= 0x01
		if _, err := p.Unwrap(ctx, phi.WrappedKey{Version: w.Version, Ciphertext: c}, []byte("row:1")); !errors.Is(err, phi.ErrUnwrap) {
			t.Fatalf("flip byte %d: err = %v, want ErrUnwrap", i, err)
		}
	}
	tests := map[string]struct {
		w    phi.WrappedKey
		aad  string
		want error
	}{
		"wrong aad":       {w, "row:2", phi.ErrUnwrap},
		"no aad":          {w, "", phi.ErrUnwrap},
		"truncated":       {phi.WrappedKey{Version: 1, Ciphertext: w.Ciphertext[:len(w.Ciphertext)-1]}, "row:1", phi.ErrUnwrap},
		"empty":           {phi.WrappedKey{Version: 1}, "row:1", phi.ErrUnwrap},
		"unknown version": {phi.WrappedKey{Version: 7, Ciphertext: w.Ciphertext}, "row:1", phi.ErrKeyVersion},
		"version zero":    {phi.WrappedKey{Version: 0, Ciphertext: w.Ciphertext}, "row:1", phi.ErrKeyVersion},
	}
	for name, tt := range tests {
		if _, err := p.Unwrap(ctx, tt.w, []byte(tt.aad)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
}

func TestRotateRewrapRetire(t *testing.T) {
	ctx := context.Background()
	p, path := newFileProvider(t)
	dek1, w1 := mustGenerate(t, p, "a")

	v, err := p.Rotate(ctx)
	if err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v; want 2", v, err)
	}
	_, w2 := mustGenerate(t, p, "b")
	if w2.Version != 2 {
		t.Errorf("new key version = %d, want 2", w2.Version)
	}
	if got, err := p.Unwrap(ctx, w1, []byte("a")); err != nil || !bytes.Equal(got, dek1) {
		t.Fatalf("v1 key after rotate: %v", err)
	}

	rw, err := p.Rewrap(ctx, w1, []byte("a"))
	if err != nil || rw.Version != 2 {
		t.Fatalf("Rewrap = v%d, %v; want v2", rw.Version, err)
	}
	if got, err := p.Unwrap(ctx, rw, []byte("a")); err != nil || !bytes.Equal(got, dek1) {
		t.Fatalf("rewrapped key: %v", err)
	}
	if _, err := p.Rewrap(ctx, w1, []byte("other")); !errors.Is(err, phi.ErrUnwrap) {
		t.Errorf("Rewrap with wrong aad: %v, want ErrUnwrap", err)
	}

	if err := p.SetMinDecryptionVersion(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Unwrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("retired v1: err = %v, want ErrKeyVersion", err)
	}
	if _, err := p.Rewrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("Rewrap of retired v1: err = %v, want ErrKeyVersion", err)
	}
	st, err := p.Status(ctx)
	if err != nil || st.LatestVersion != 2 || st.MinDecryptionVersion != 2 || fmt.Sprint(st.Versions) != "[2]" || st.Provider != "local" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	for _, bad := range []int{0, 3} {
		if err := p.SetMinDecryptionVersion(ctx, bad); err == nil {
			t.Errorf("SetMinDecryptionVersion(%d) succeeded", bad)
		}
	}

	// Everything persisted: a fresh provider over the same file agrees.
	q, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Unwrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("reopened, v1: %v, want ErrKeyVersion", err)
	}
	if got, err := q.Unwrap(ctx, rw, []byte("a")); err != nil || !bytes.Equal(got, dek1) {
		t.Errorf("reopened, rewrapped: %v", err)
	}
	// Un-retiring works because retired keys stay in the file.
	if err := q.SetMinDecryptionVersion(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Unwrap(ctx, w1, []byte("a")); err != nil {
		t.Errorf("after un-retire: %v", err)
	}
}

// A running server sees a rotation made by another process (astral keys
// rotate) at its next operation.
func TestReloadsChangedFile(t *testing.T) {
	ctx := context.Background()
	server, path := newFileProvider(t)
	cli, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	_, w := mustGenerate(t, server, "x")
	if w.Version != 2 {
		t.Errorf("server wraps under v%d after another process rotated, want v2", w.Version)
	}
	rw, err := cli.Rewrap(ctx, w, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Unwrap(ctx, rw, []byte("x")); err != nil {
		t.Errorf("server cannot unwrap the CLI's rewrap: %v", err)
	}

	// A file that becomes unreadable makes the provider unavailable.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := server.Ping(ctx); !errors.Is(err, phi.ErrUnavailable) {
		t.Errorf("Ping with a group-readable file: %v, want ErrUnavailable", err)
	}
	if _, _, err := server.GenerateDataKey(ctx, nil); !errors.Is(err, phi.ErrUnavailable) {
		t.Errorf("GenerateDataKey with a group-readable file: %v, want ErrUnavailable", err)
	}
}

func TestCanceledContext(t *testing.T) {
	p := must(FromEnv(testKey(1)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.GenerateDataKey(ctx, nil); !errors.Is(err, phi.ErrUnavailable) {
		t.Errorf("GenerateDataKey: %v, want ErrUnavailable", err)
	}
	if err := p.Ping(ctx); !errors.Is(err, phi.ErrUnavailable) {
		t.Errorf("Ping: %v, want ErrUnavailable", err)
	}
}

func TestEnvList(t *testing.T) {
	ctx := context.Background()
	v1 := must(FromEnv(testKey(1)))
	_, w1 := mustGenerate(t, v1, "a")

	both := must(FromEnv(" 2:" + testKey(2) + " , 1:" + testKey(1)))
	if got, err := both.Unwrap(ctx, w1, []byte("a")); err != nil || len(got) != 32 {
		t.Fatalf("v1 key under 1,2 list: %v", err)
	}
	_, w2 := mustGenerate(t, both, "a")
	if w2.Version != 2 {
		t.Errorf("list wraps under v%d, want the highest, 2", w2.Version)
	}
	rw, err := both.Rewrap(ctx, w1, []byte("a"))
	if err != nil || rw.Version != 2 {
		t.Fatalf("Rewrap = v%d, %v", rw.Version, err)
	}

	// Retire v1 by dropping it from the list.
	only2 := must(FromEnv("2:" + testKey(2)))
	if _, err := only2.Unwrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("v1 after removing it: %v, want ErrKeyVersion", err)
	}
	if _, err := only2.Unwrap(ctx, rw, []byte("a")); err != nil {
		t.Errorf("rewrapped key after removing v1: %v", err)
	}
	st, _ := only2.Status(ctx)
	if st.LatestVersion != 2 || st.MinDecryptionVersion != 2 {
		t.Errorf("Status = %+v", st)
	}

	// The environment is read-only, with an actionable message.
	if _, err := both.Rotate(ctx); err == nil || !strings.Contains(err.Error(), "ASTRAL_MASTER_KEY_FILE") {
		t.Errorf("Rotate on env keys: %v", err)
	}
	if err := both.SetMinDecryptionVersion(ctx, 2); err == nil || !strings.Contains(err.Error(), "remove them from the variable") {
		t.Errorf("SetMinDecryptionVersion on env keys: %v", err)
	}

	for name, bad := range map[string]string{
		"not base64":     "not a key!",
		"short":          base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"no version":     testKey(1) + "," + testKey(2),
		"version zero":   "0:" + testKey(1),
		"version word":   "one:" + testKey(1),
		"duplicate":      "1:" + testKey(1) + ",1:" + testKey(2),
		"empty entry":    "1:" + testKey(1) + ",",
		"short in list":  "1:" + testKey(1) + ",2:AAAA",
		"empty":          "",
		"only separator": ":",
	} {
		if _, err := FromEnv(bad); err == nil {
			t.Errorf("%s: FromEnv succeeded", name)
		}
	}
}

func TestFilePermissions(t *testing.T) {
	_, path := newFileProvider(t)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "is accessible by group or others (mode 0640); run: chmod 600") {
		t.Fatalf("Open(0640 file) = %v", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Error("Open changed the file's mode; it must refuse, not fix")
	}
}

func TestWrittenFileIsPrivate(t *testing.T) {
	p, path := newFileProvider(t)
	if _, err := p.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after rotate = %v, %v; want 0600", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after rotate, want only the key file", len(entries))
	}
}

// A crash between writing the temporary file and renaming it leaves a stray
// temporary file; loading and rotating ignore it.
func TestLeftoverTempFileIgnored(t *testing.T) {
	ctx := context.Background()
	p, path := newFileProvider(t)
	_, w := mustGenerate(t, p, "a")
	stray := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-123")
	if err := os.WriteFile(stray, []byte(`{"versions":[{"ver`), 0o600); err != nil {
		t.Fatal(err)
	}
	q, err := Open(path)
	if err != nil {
		t.Fatalf("Open with a stray temp file: %v", err)
	}
	if _, err := q.Unwrap(ctx, w, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if v, err := q.Rotate(ctx); err != nil || v != 2 {
		t.Fatalf("Rotate with a stray temp file = %d, %v", v, err)
	}
}

func TestOpenOrCreateDev(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	p, err := OpenOrCreateDev(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "development master key generated; never use in production") {
		t.Errorf("no loud warning on first run; logs:\n%s", logs.String())
	}
	fi, err := os.Stat(filepath.Join(dir, DevKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev key file: %v, %v", fi, err)
	}
	dek, w := mustGenerate(t, p, "a")

	logs.Reset()
	q, err := OpenOrCreateDev(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "generated") || !strings.Contains(logs.String(), "using the development master key") {
		t.Errorf("second run logs:\n%s", logs.String())
	}
	if got, err := q.Unwrap(ctx, w, []byte("a")); err != nil || !bytes.Equal(got, dek) {
		t.Errorf("second run does not reuse the key: %v", err)
	}
}

// The canary test: no error or log line ever contains key material, whether
// a valid key or the text of a malformed one.
func TestNoKeyMaterialInErrorsOrLogs(t *testing.T) {
	ctx := context.Background()
	const canary = "Q0FOQVJZ" // base64 text that must never be echoed
	key := canary + strings.Repeat("A", 43-len(canary)) + "="
	if _, err := keyfile.DecodeKey(key); err != nil {
		t.Fatalf("canary key is not a valid key: %v", err)
	}
	raw, _ := keyfile.DecodeKey(key)

	var out []string
	collect := func(err error) {
		if err != nil {
			out = append(out, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}
	for _, v := range []string{
		canary, canary + "!", "1:" + canary, "1:" + key + ",x:" + canary, "1:" + key + ",1:" + key,
		"0:" + key, key + "," + key,
	} {
		_, err := FromEnv(v)
		collect(err)
	}
	dir := t.TempDir()
	for i, contents := range []string{
		canary,
		`{"versions":[{"version":1,"key":"` + canary + `"}]}`,
		`{"versions":[{"version":1,"key":"` + key + `","` + canary + `":1}]}`,
		`{"versions":[{"version":1,"key":"` + key + `"}],"min_decryption_version":"` + canary + `"}`,
		`{"versions":[{"version":1,"key":"` + key + `","created":"` + canary + `"}]}`,
		`{"versions":[{"version":1,"key":` + canary + `}]}`,
		`{"versions":[{"version":1,"key":"` + key + `"}],"min_decryption_version":3}`,
		`{"versions":[{"version":1,"key":"` + key + `"},{"version":1,"key":"` + key + `"}]}`,
		`{"versions":[{"version":1,"key":"` + key + `"}]} ` + canary,
	} {
		path := filepath.Join(dir, fmt.Sprintf("k%d", i))
		if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if err == nil {
			t.Errorf("file %d loaded; want an error", i)
		}
		collect(err)
	}
	// A good key through every operation and failure, with logs captured.
	var logs bytes.Buffer
	p, err := FromEnv(key)
	if err != nil {
		t.Fatal(err)
	}
	_, w := mustGenerate(t, p, "a")
	_, err = p.Unwrap(ctx, w, []byte("b"))
	collect(err)
	_, err = p.Rotate(ctx)
	collect(err)
	collect(p.SetMinDecryptionVersion(ctx, 1))
	d, err := OpenOrCreateDev(filepath.Join(dir, "dev"), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := d.Status(ctx)
	set, _ := keyfile.ParseEnv(key)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("values", "set", set, "status", st, "provider", p)
	out = append(out, logs.String(), fmt.Sprintf("%+v %#v", set, set), fmt.Sprintf("%v %+v %#v", p, p, p))

	devKey, _ := os.ReadFile(filepath.Join(dir, "dev", DevKeyFile))
	devSet, err := keyfile.Parse(devKey)
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := devSet.Key(1)
	for _, s := range out {
		for _, needle := range []string{canary, key, base64.StdEncoding.EncodeToString(dk), string(raw)} {
			if strings.Contains(s, needle) {
				t.Errorf("output leaks key material: %q", s)
			}
		}
	}
	if len(out) < 20 {
		t.Errorf("only %d outputs checked; the test exercises too little", len(out))
	}
}

// Config validation and this package share one parser; this keeps it that
// way: every file this package writes and every value it accepts passes
// config.Load, and what it refuses, config refuses too.
func TestConfigAgrees(t *testing.T) {
	ctx := context.Background()
	p, path := newFileProvider(t)
	if _, err := p.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMinDecryptionVersion(ctx, 2); err != nil {
		t.Fatal(err)
	}
	dev := t.TempDir()
	if _, err := OpenOrCreateDev(dev, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	load := func(kv ...string) error {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		_, err := config.Load(func(k string) string { return m[k] })
		return err
	}
	for _, f := range []string{path, filepath.Join(dev, DevKeyFile)} {
		if err := load("ASTRAL_MASTER_KEY_FILE", f); err != nil {
			t.Errorf("config refuses a file localkey wrote: %v", err)
		}
	}
	for _, v := range []string{testKey(1), "1:" + testKey(1) + ",2:" + testKey(2), "3:" + testKey(3)} {
		_, errLocal := FromEnv(v)
		if errConfig := load("ASTRAL_MASTER_KEY", v); (errLocal == nil) != (errConfig == nil) {
			t.Errorf("localkey and config disagree: %v vs %v", errLocal, errConfig)
		}
	}
	for _, v := range []string{"x", "1:" + testKey(1) + ",", "0:" + testKey(1), testKey(1) + "," + testKey(2)} {
		_, errLocal := FromEnv(v)
		if errConfig := load("ASTRAL_MASTER_KEY", v); errLocal == nil || errConfig == nil {
			t.Errorf("bad value accepted: localkey %v, config %v", errLocal, errConfig)
		}
	}
}
