package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/vault/vaulttest"
)

const keyName = "astral"

// appPolicy is the least-privilege policy docs/keys.md gives the app token.
var appPolicy = vaulttest.Policy{
	"transit/datakey/plaintext/astral": {"update"},
	"transit/decrypt/astral":           {"update"},
	"transit/rewrap/astral":            {"update"},
	"transit/keys/astral":              {"read"},
}

// operatorPolicy adds what the astral keys commands need.
var operatorPolicy = vaulttest.Policy{
	"transit/keys/astral":        {"read"},
	"transit/keys/astral/rotate": {"update"},
	"transit/keys/astral/config": {"update"},
	"transit/rewrap/astral":      {"update"},
}

func newServer(t *testing.T) *vaulttest.Server {
	t.Helper()
	s := vaulttest.New(t)
	s.CreateKey(keyName, vaulttest.KeyOptions{Derived: true})
	return s
}

func newProvider(t *testing.T, s *vaulttest.Server, token string) *Provider {
	t.Helper()
	p, err := New(Config{Address: s.URL(), Token: config.Secret(token), Key: keyName, CAPool: s.CAPool()})
	if err != nil {
		t.Fatal(err)
	}
	return p
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
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	if err := p.CheckAccess(ctx); err != nil {
		t.Fatalf("CheckAccess: %v", err)
	}
	before := s.Requests()
	dek, w := mustGenerate(t, p, "patient:1")
	if n := s.Requests() - before; n != 1 {
		t.Errorf("GenerateDataKey after CheckAccess made %d requests, want 1", n)
	}
	if len(dek) != 32 || w.Version != 1 || !strings.HasPrefix(string(w.Ciphertext), "vault:v1:") {
		t.Fatalf("dek %d bytes, wrapped %d %q", len(dek), w.Version, w.Ciphertext)
	}
	got, err := p.Unwrap(ctx, w, []byte("patient:1"))
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unwrap = %v; equal %v", err, bytes.Equal(got, dek))
	}
	st, err := p.Status(ctx)
	if err != nil || st.Provider != "vault" || st.LatestVersion != 1 || st.MinDecryptionVersion != 1 || fmt.Sprint(st.Versions) != "[1]" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestUnwrapFailures(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	_, w := mustGenerate(t, p, "row:1")

	body := strings.TrimPrefix(string(w.Ciphertext), "vault:v1:")
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 11, 12, len(raw) / 2, len(raw) - 1} {
		c := bytes.Clone(raw)
		c[i] ^= 1
		tampered := phi.WrappedKey{Version: 1, Ciphertext: []byte("vault:v1:" + base64.StdEncoding.EncodeToString(c))}
		if _, err := p.Unwrap(ctx, tampered, []byte("row:1")); !errors.Is(err, phi.ErrUnwrap) {
			t.Errorf("flip byte %d: %v, want ErrUnwrap", i, err)
		}
		// Rewrap reports this as a 500 in Vault; it is still ErrUnwrap.
		if _, err := p.Rewrap(ctx, tampered, []byte("row:1")); !errors.Is(err, phi.ErrUnwrap) || errors.Is(err, phi.ErrUnavailable) {
			t.Errorf("Rewrap, flip byte %d: %v, want ErrUnwrap only", i, err)
		}
	}
	tests := map[string]struct {
		w    phi.WrappedKey
		aad  string
		want error
	}{
		"wrong aad":          {w, "row:2", phi.ErrUnwrap},
		"empty aad":          {w, "", phi.ErrUnwrap},
		"version mismatch":   {phi.WrappedKey{Version: 2, Ciphertext: w.Ciphertext}, "row:1", phi.ErrUnwrap},
		"not vault":          {phi.WrappedKey{Version: 1, Ciphertext: []byte("v1:abc")}, "row:1", phi.ErrUnwrap},
		"bad base64":         {phi.WrappedKey{Version: 1, Ciphertext: []byte("vault:v1:!!!")}, "row:1", phi.ErrUnwrap},
		"too short":          {phi.WrappedKey{Version: 1, Ciphertext: []byte("vault:v1:AAAA")}, "row:1", phi.ErrUnwrap},
		"version too new":    {phi.WrappedKey{Version: 9, Ciphertext: []byte("vault:v9:" + body)}, "row:1", phi.ErrKeyVersion},
		"version zero":       {phi.WrappedKey{Version: 0, Ciphertext: []byte("vault:v0:" + body)}, "row:1", phi.ErrUnwrap},
		"empty":              {phi.WrappedKey{}, "row:1", phi.ErrUnwrap},
		"leading zero field": {phi.WrappedKey{Version: 1, Ciphertext: []byte("vault:v01:" + body)}, "row:1", phi.ErrUnwrap},
	}
	for name, tt := range tests {
		if _, err := p.Unwrap(ctx, tt.w, []byte(tt.aad)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
}

func TestRotateRewrapRetire(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	dek1, w1 := mustGenerate(t, p, "a")

	v, err := p.Rotate(ctx)
	if err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v", v, err)
	}
	_, w2 := mustGenerate(t, p, "b")
	if w2.Version != 2 || !strings.HasPrefix(string(w2.Ciphertext), "vault:v2:") {
		t.Errorf("after rotate, new key is v%d", w2.Version)
	}
	if got, err := p.Unwrap(ctx, w1, []byte("a")); err != nil || !bytes.Equal(got, dek1) {
		t.Fatalf("v1 after rotate: %v", err)
	}
	// A v1 body relabelled as v2 is a different key: authentication fails.
	relabelled := phi.WrappedKey{Version: 2, Ciphertext: []byte(strings.Replace(string(w1.Ciphertext), "vault:v1:", "vault:v2:", 1))}
	if _, err := p.Unwrap(ctx, relabelled, []byte("a")); !errors.Is(err, phi.ErrUnwrap) {
		t.Errorf("relabelled version: %v, want ErrUnwrap", err)
	}

	rw, err := p.Rewrap(ctx, w1, []byte("a"))
	if err != nil || rw.Version != 2 {
		t.Fatalf("Rewrap = v%d, %v", rw.Version, err)
	}
	if got, err := p.Unwrap(ctx, rw, []byte("a")); err != nil || !bytes.Equal(got, dek1) {
		t.Fatalf("rewrapped: %v", err)
	}
	// Rewrap keeps the aad binding: the context travels with it.
	if _, err := p.Unwrap(ctx, rw, []byte("b")); !errors.Is(err, phi.ErrUnwrap) {
		t.Errorf("rewrapped key under other aad: %v, want ErrUnwrap", err)
	}
	if _, err := p.Rewrap(ctx, w1, []byte("b")); !errors.Is(err, phi.ErrUnwrap) {
		t.Errorf("Rewrap with wrong aad: %v, want ErrUnwrap", err)
	}

	if err := p.SetMinDecryptionVersion(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Unwrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("retired v1: %v, want ErrKeyVersion", err)
	}
	if _, err := p.Rewrap(ctx, w1, []byte("a")); !errors.Is(err, phi.ErrKeyVersion) {
		t.Errorf("Rewrap of retired v1: %v, want ErrKeyVersion", err)
	}
	st, err := p.Status(ctx)
	if err != nil || st.LatestVersion != 2 || st.MinDecryptionVersion != 2 || fmt.Sprint(st.Versions) != "[2]" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	for _, bad := range []int{0, 3} {
		if err := p.SetMinDecryptionVersion(ctx, bad); !errors.Is(err, phi.ErrKeyVersion) {
			t.Errorf("SetMinDecryptionVersion(%d) = %v, want ErrKeyVersion", bad, err)
		}
	}
	if latest, minDec := s.KeyVersions(keyName); latest != 2 || minDec != 2 {
		t.Errorf("server key = latest %d, min %d", latest, minDec)
	}
}

func TestSealed(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	_, w := mustGenerate(t, p, "a")
	s.Seal()
	for name, f := range methods(p, w) {
		if err := f(ctx); !errors.Is(err, phi.ErrUnavailable) {
			t.Errorf("%s while sealed: %v, want ErrUnavailable", name, err)
		}
	}
	if err := p.CheckAccess(ctx); !errors.Is(err, phi.ErrUnavailable) {
		t.Errorf("CheckAccess while sealed: %v", err)
	}
	s.Unseal()
	if err := p.CheckAccess(ctx); err != nil {
		t.Errorf("CheckAccess after unseal: %v", err)
	}
}

// methods calls every KeyProvider method.
func methods(p *Provider, w phi.WrappedKey) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"GenerateDataKey": func(ctx context.Context) error { _, _, err := p.GenerateDataKey(ctx, []byte("a")); return err },
		"Unwrap":          func(ctx context.Context) error { _, err := p.Unwrap(ctx, w, []byte("a")); return err },
		"Rewrap":          func(ctx context.Context) error { _, err := p.Rewrap(ctx, w, []byte("a")); return err },
		"Rotate":          func(ctx context.Context) error { _, err := p.Rotate(ctx); return err },
		"Status":          func(ctx context.Context) error { _, err := p.Status(ctx); return err },
		"SetMinDecryptionVersion": func(ctx context.Context) error {
			return p.SetMinDecryptionVersion(ctx, 1)
		},
		"Ping": func(ctx context.Context) error { return p.Ping(ctx) },
	}
}

func TestStandbyIsReachable(t *testing.T) {
	s := newServer(t)
	s.SetStandby(true)
	if err := newProvider(t, s, vaulttest.RootToken).Ping(context.Background()); err != nil {
		t.Errorf("Ping on a standby: %v", err)
	}
}

// A Vault that hangs costs a request no more than its deadline.
func TestSlowServerHonoursDeadline(t *testing.T) {
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	_, w := mustGenerate(t, p, "a") // also checks the key, so each call below is one request
	s.SetLatency(10 * time.Second)
	const deadline = 150 * time.Millisecond
	const margin = 500 * time.Millisecond
	for name, f := range methods(p, w) {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := f(ctx)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, phi.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want ErrUnavailable wrapping DeadlineExceeded", name, err)
		}
		if elapsed > deadline+margin {
			t.Errorf("%s took %v with a %v deadline", name, elapsed, deadline)
		}
	}
}

func TestUnreachable(t *testing.T) {
	s := newServer(t)
	p := newProvider(t, s, vaulttest.RootToken)
	s.Close()
	for name, f := range methods(p, phi.WrappedKey{Version: 1, Ciphertext: []byte("vault:v1:AAAA")}) {
		if err := f(context.Background()); !errors.Is(err, phi.ErrUnavailable) {
			t.Errorf("%s against a closed server: %v, want ErrUnavailable", name, err)
		}
	}
}

// Vault's certificate must chain to the configured CA pool.
func TestUntrustedCertificate(t *testing.T) {
	s := newServer(t)
	// No CAPool: the system roots, which do not include the test server's
	// self-signed certificate. (Every httptest TLS server shares one
	// certificate, so another server's pool would not do.)
	p, err := New(Config{Address: s.URL(), Token: vaulttest.RootToken, Key: keyName})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckAccess(context.Background()); !errors.Is(err, phi.ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("CheckAccess with the wrong CA: %v", err)
	}
}

func TestWrongToken(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	p := newProvider(t, s, "not-the-token")
	err := p.CheckAccess(ctx)
	if !errors.Is(err, ErrPermission) || !errors.Is(err, phi.ErrUnavailable) {
		t.Fatalf("CheckAccess with a wrong token: %v, want ErrPermission", err)
	}
	if !strings.Contains(err.Error(), "wrong Vault token") {
		t.Errorf("message does not say wrong Vault token: %v", err)
	}
	if _, _, err := p.GenerateDataKey(ctx, nil); !errors.Is(err, ErrPermission) {
		t.Errorf("GenerateDataKey: %v, want ErrPermission", err)
	}
	// Ping needs no token: Vault itself is fine.
	if err := p.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// The policy docs/keys.md gives the app is enough to run and not enough to
// rotate or retire; the operator policy is enough for those.
func TestDocumentedPolicies(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	s.AddToken("app", appPolicy)
	s.AddToken("operator", operatorPolicy)
	app := newProvider(t, s, "app")
	if err := app.CheckAccess(ctx); err != nil {
		t.Fatalf("CheckAccess with the app policy: %v", err)
	}
	dek, w := mustGenerate(t, app, "a")
	if _, err := app.Rotate(ctx); !errors.Is(err, ErrPermission) {
		t.Errorf("app Rotate: %v, want ErrPermission", err)
	}
	if err := app.SetMinDecryptionVersion(ctx, 1); !errors.Is(err, ErrPermission) {
		t.Errorf("app SetMinDecryptionVersion: %v, want ErrPermission", err)
	}

	op := newProvider(t, s, "operator")
	if _, err := op.Rotate(ctx); err != nil {
		t.Fatalf("operator Rotate: %v", err)
	}
	rw, err := op.Rewrap(ctx, w, []byte("a"))
	if err != nil {
		t.Fatalf("operator Rewrap: %v", err)
	}
	if err := op.SetMinDecryptionVersion(ctx, 2); err != nil {
		t.Fatalf("operator SetMinDecryptionVersion: %v", err)
	}
	if st, err := op.Status(ctx); err != nil || st.MinDecryptionVersion != 2 {
		t.Errorf("operator Status: %+v, %v", st, err)
	}
	if _, _, err := op.GenerateDataKey(ctx, nil); !errors.Is(err, ErrPermission) {
		t.Errorf("operator GenerateDataKey: %v, want ErrPermission (operators do not need data keys)", err)
	}
	if got, err := app.Unwrap(ctx, rw, []byte("a")); err != nil || !bytes.Equal(got, dek) {
		t.Errorf("app Unwrap of operator's rewrap: %v", err)
	}
}

func TestKeyChecks(t *testing.T) {
	ctx := context.Background()
	s := vaulttest.New(t)
	s.CreateKey("plain", vaulttest.KeyOptions{})
	s.CreateKey("export", vaulttest.KeyOptions{Derived: true, Exportable: true})
	s.CreateKey("backup", vaulttest.KeyOptions{Derived: true, AllowPlaintextBackup: true})
	s.CreateKey("rsa", vaulttest.KeyOptions{Type: "rsa-2048"})
	tests := map[string]error{
		"missing": ErrKeyNotFound,
		"plain":   ErrKeyUnsuitable,
		"export":  ErrKeyUnsuitable,
		"backup":  ErrKeyUnsuitable,
		"rsa":     ErrKeyUnsuitable,
	}
	for name, want := range tests {
		p, err := New(Config{Address: s.URL(), Token: vaulttest.RootToken, Key: name, CAPool: s.CAPool()})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CheckAccess(ctx); !errors.Is(err, want) {
			t.Errorf("%s: CheckAccess = %v, want %v", name, err, want)
		}
		// Without CheckAccess, first use checks too: nothing is ever
		// wrapped under a key that would ignore the aad.
		q, _ := New(Config{Address: s.URL(), Token: vaulttest.RootToken, Key: name, CAPool: s.CAPool()})
		before := s.Requests()
		if _, _, err := q.GenerateDataKey(ctx, []byte("a")); !errors.Is(err, want) {
			t.Errorf("%s: GenerateDataKey = %v, want %v", name, err, want)
		}
		if n := s.Requests() - before; n != 1 {
			t.Errorf("%s: %d requests, want only the key read", name, n)
		}
	}
	// Missing mount: 404 from the router.
	p, _ := New(Config{Address: s.URL(), Token: vaulttest.RootToken, Mount: "nowhere", Key: "plain", CAPool: s.CAPool()})
	if err := p.CheckAccess(ctx); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("missing mount: %v, want ErrKeyNotFound", err)
	}
}

// Why derived keys: with a key that is not derived, Transit ignores the
// context, so a wrapped key would unwrap under any aad. This is the
// behaviour the provider refuses to build on.
func TestNonDerivedKeyIgnoresContext(t *testing.T) {
	ctx := context.Background()
	s := vaulttest.New(t)
	s.CreateKey("plain", vaulttest.KeyOptions{})
	p, _ := New(Config{Address: s.URL(), Token: vaulttest.RootToken, Key: "plain", CAPool: s.CAPool()})
	p.keyOK.Store(true) // bypass the check, to show what it prevents
	_, w := mustGenerate(t, p, "row:1")
	if _, err := p.Unwrap(ctx, w, []byte("row:2")); err != nil {
		t.Errorf("non-derived key: unwrap under other aad failed (%v); the test server no longer models Transit", err)
	}
}

func TestNewValidates(t *testing.T) {
	s := newServer(t)
	good := Config{Address: s.URL(), Token: "t", Key: keyName}
	mod := func(f func(*Config)) Config { c := good; f(&c); return c }
	for name, c := range map[string]Config{
		"no address":  mod(func(c *Config) { c.Address = nil }),
		"ftp":         mod(func(c *Config) { c.Address = &url.URL{Scheme: "ftp", Host: "x"} }),
		"userinfo":    mod(func(c *Config) { c.Address = &url.URL{Scheme: "https", Host: "x", User: url.User("u")} }),
		"no token":    mod(func(c *Config) { c.Token = "" }),
		"bad key":     mod(func(c *Config) { c.Key = "../sys" }),
		"no key":      mod(func(c *Config) { c.Key = "" }),
		"bad mount":   mod(func(c *Config) { c.Mount = "a/../sys" }),
		"dot key":     mod(func(c *Config) { c.Key = ".." }),
		"client + CA": mod(func(c *Config) { c.HTTPClient = http.DefaultClient; c.CAPool = s.CAPool() }),
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}

// The canary test: no error message from any path carries the token, a data
// key, a wrapped key or the aad.
func TestNoSecretsInErrors(t *testing.T) {
	ctx := context.Background()
	const token = "hvs.CANARYTOKEN0123456789"
	const aad = "CANARYAAD-patient-7"
	s := newServer(t)
	s.AddToken(token, appPolicy)
	p := newProvider(t, s, token)
	dek, w := mustGenerate(t, p, aad)
	secrets := []string{token, aad, string(w.Ciphertext), base64.StdEncoding.EncodeToString(dek),
		base64.StdEncoding.EncodeToString([]byte(contextPrefix + aad)), "CANARY"}

	var errs []error
	add := func(err error) {
		if err == nil {
			t.Errorf("expected an error (call %d)", len(errs))
		}
		errs = append(errs, err)
	}
	_, err := p.Unwrap(ctx, w, []byte(aad+"x"))
	add(err)
	tampered := phi.WrappedKey{Version: 1, Ciphertext: append(bytes.Clone(w.Ciphertext[:len(w.Ciphertext)-4]), "AAA="...)}
	_, err = p.Unwrap(ctx, tampered, []byte(aad))
	add(err)
	_, err = p.Rewrap(ctx, tampered, []byte(aad))
	add(err)
	_, err = p.Rotate(ctx)
	add(err)
	wrong := newProvider(t, s, token+"x")
	add(wrong.CheckAccess(ctx))
	s.Seal()
	for _, f := range methods(p, w) {
		if e := f(ctx); e != nil {
			errs = append(errs, e)
		}
	}
	s.Unseal()
	s.SetLatency(time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = p.Unwrap(short, w, []byte(aad))
	cancel()
	add(err)
	s.Close()
	_, _, err = p.GenerateDataKey(ctx, []byte(aad))
	add(err)

	for _, err := range errs {
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("error leaks %q: %s", secret, text)
				}
			}
		}
	}
	if got := fmt.Sprintf("%v %+v %#v %s %q", p, p, p, p, p); strings.Contains(got, token) || !strings.Contains(got, "[redacted]") {
		t.Errorf("Provider prints the token: %s", got)
	}
	if len(errs) < 12 {
		t.Errorf("only %d errors checked", len(errs))
	}
}
