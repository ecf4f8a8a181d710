package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/vault/vaulttest"
)

// End-to-end tests of the Vault key provider through `astral serve` and
// `astral keys`, against vaulttest's in-test Transit server.

// Tokens with the two policies docs/keys.md prescribes. They double as
// canaries: neither may ever be printed.
const (
	appToken      = "astral-app-token-canary-7c1d0e"
	operatorToken = "astral-operator-token-canary-9e2b4f"
)

var (
	appPolicy = vaulttest.Policy{
		"transit/datakey/plaintext/astral": {"update"},
		"transit/decrypt/astral":           {"update"},
		"transit/rewrap/astral":            {"update"},
		"transit/keys/astral":              {"read"},
	}
	operatorPolicy = vaulttest.Policy{
		"transit/keys/astral":        {"read"},
		"transit/keys/astral/rotate": {"update"},
		"transit/keys/astral/config": {"update"},
		"transit/rewrap/astral":      {"update"},
	}
)

// startVault starts a fake Vault with the transit key set up as
// docs/keys.md says (derived=true) and both tokens, and returns it with env
// for the app token. Vault is reached over plain http, as a development
// Vault (`vault server -dev`) is: vaulttest itself serves https with a
// certificate no system pool trusts, and ASTRAL_VAULT_* has no CA setting,
// so a small TLS-terminating front stands in for the dev listener.
func startVault(t *testing.T) (*vaulttest.Server, map[string]string) {
	t.Helper()
	vs := vaulttest.New(t)
	vs.CreateKey("astral", vaulttest.KeyOptions{Derived: true})
	vs.AddToken(appToken, appPolicy)
	vs.AddToken(operatorToken, operatorPolicy)

	target := vs.URL()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: vs.CAPool()}}
	front := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: tr,
		ErrorLog:  log.New(io.Discard, "", 0),
	})
	t.Cleanup(func() {
		front.Close()
		tr.CloseIdleConnections()
	})
	return vs, map[string]string{
		"ASTRAL_DATA_DIR":    t.TempDir(),
		"ASTRAL_KMS":         "vault",
		"ASTRAL_VAULT_ADDR":  front.URL,
		"ASTRAL_VAULT_TOKEN": appToken,
		"ASTRAL_VAULT_MOUNT": "transit",
		"ASTRAL_VAULT_KEY":   "astral",
		"ASTRAL_ADMIN_ADDR":  "off",
	}
}

// noTokens fails if either token appears in text.
func noTokens(t *testing.T, text string) {
	t.Helper()
	for _, tok := range []string{appToken, operatorToken} {
		if strings.Contains(text, tok) {
			t.Errorf("a Vault token was printed:\n%.3000s", text)
		}
	}
}

// waitStatus polls url until it answers want, and returns the last body.
func waitStatus(t *testing.T, url string, want int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, body := get(t, url)
		if res.StatusCode == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %s, want %d", url, res.StatusCode, body, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeWithVault(t *testing.T) {
	vs, env := startVault(t)
	inst := startServer(t, env)
	if res, body := get(t, inst.URL+"/health/ready"); res.StatusCode != 200 || !strings.Contains(body, `"key_provider_vault":"ok"`) {
		t.Fatalf("ready with Vault: %d %s", res.StatusCode, body)
	}

	// Vault is sealed while the server runs: readiness names the provider,
	// the process stays live and pages that need no key still render.
	vs.Seal()
	body := waitStatus(t, inst.URL+"/health/ready", 503)
	if !strings.Contains(body, `"key_provider_vault":"unavailable"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("ready with Vault sealed: %s", body)
	}
	for _, path := range []string{"/health/live", "/"} {
		if res, _ := get(t, inst.URL+path); res.StatusCode != 200 {
			t.Errorf("%s with Vault sealed: %d, want 200", path, res.StatusCode)
		}
	}

	vs.Unseal()
	body = waitStatus(t, inst.URL+"/health/ready", 200)
	if !strings.Contains(body, `"key_provider_vault":"ok"`) {
		t.Errorf("ready after unseal: %s", body)
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	noTokens(t, inst.Stdout.String()+inst.Stderr.String())
}

// SECURITY: a Vault token without access stops start-up with a message that
// names the token setting, and prints no token.
func TestServeRefusesUnusableVaultToken(t *testing.T) {
	for _, tt := range []struct{ name, token string }{
		{"wrong token", "wrong-token-canary-31f0aa"},
		// The operator's token lacks datakey and decrypt: not an app token.
		{"token without the app policy", operatorToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, env := startVault(t)
			env["ASTRAL_VAULT_TOKEN"] = tt.token
			env["ASTRAL_ADDR"] = "127.0.0.1:0"
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := astral(ctx, env, nil, "serve")
			if r.err == nil {
				t.Fatalf("serve started with an unusable Vault token:\n%s", r.shown())
			}
			msg := r.shown()
			if r.status() == 0 || strings.Contains(r.stdout, "listening") {
				t.Errorf("exit %d, want non-zero before listening:\n%s", r.status(), msg)
			}
			for _, want := range []string{"ASTRAL_VAULT_TOKEN", "wrong"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message does not mention %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, tt.token) {
				t.Errorf("the token was printed:\n%s", msg)
			}
			noTokens(t, msg)
		})
	}
}

// A sealed Vault at start-up does not stop the server: it starts, stays
// live, and readiness names the provider until Vault is unsealed.
func TestServeStartsWithVaultSealed(t *testing.T) {
	vs, env := startVault(t)
	vs.Seal()
	env["ASTRAL_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newOutput(), newOutput()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"astral", "serve"}, func(k string) string { return env[k] }, stdout, stderr)
	}()
	stopped := false
	defer func() {
		if !stopped {
			cancel()
			<-done
		}
	}()
	base := stdout.waitFor(t, listenRe, done)
	res, body := get(t, base+"/health/ready")
	if res.StatusCode != 503 || !strings.Contains(body, `"key_provider_vault":"unavailable"`) {
		t.Errorf("ready with Vault sealed at start-up: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, base+"/health/live"); res.StatusCode != 200 {
		t.Errorf("live with Vault sealed at start-up: %d", res.StatusCode)
	}
	if !strings.Contains(stderr.String(), "key provider unavailable at start-up") {
		t.Errorf("no start-up warning about the provider:\n%.3000s", stderr.String())
	}

	vs.Unseal()
	waitReady(t, base)

	cancel()
	stopped = true
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	noTokens(t, stdout.String()+stderr.String())
}

// The key procedure with Vault: the app makes data keys with its token; the
// operator rotates, rewraps and retires with the operator token
// docs/keys.md prescribes; the app still opens everything. The app token
// may not rotate.
func TestKeysWithVault(t *testing.T) {
	vs, env := startVault(t)
	values := sealValues(t, env,
		phi.Owner{OrgID: "org-a", PatientID: "patient-1"},
		phi.Owner{OrgID: "org-a", PatientID: "patient-2"},
		phi.Owner{OrgID: "org-a"})
	var seen strings.Builder

	r := astral(context.Background(), env, nil, "keys", "rotate")
	seen.WriteString(r.shown())
	if r.status() == 0 || !strings.Contains(r.shown(), "permission denied") {
		t.Errorf("rotate with the app token: exit %d, want permission denied:\n%s", r.status(), r.shown())
	}
	if latest, _ := vs.KeyVersions("astral"); latest != 1 {
		t.Fatalf("the app token rotated the key to v%d", latest)
	}

	op := map[string]string{}
	for k, v := range env {
		op[k] = v
	}
	op["ASTRAL_VAULT_TOKEN"] = operatorToken
	keys := func(args ...string) string {
		t.Helper()
		out := mustKeys(t, op, args...)
		seen.WriteString(out)
		return out
	}
	wantLines(t, "status", keys("status"),
		"Key provider: vault (latest KEK version 1, minimum decryption version 1)", "  v1: 3")
	wantLines(t, "rotate", keys("rotate"), "Rotated: new data keys are wrapped under KEK version 2.")
	wantLines(t, "status after rotate", keys("status"), "  v1: 3", "  v2: 0",
		"3 data key(s) are on older versions; run 'astral keys rewrap'.")
	wantLines(t, "rewrap", keys("rewrap"), "Rewrapped 3 data key(s); no data was re-encrypted.")
	wantLines(t, "retire", keys("retire", "2"), "KEK versions below 2 are retired: keys wrapped under them no longer open.")
	wantLines(t, "status after retire", keys("status"),
		"Key provider: vault (latest KEK version 2, minimum decryption version 2)", "  v2: 3")
	if latest, minDec := vs.KeyVersions("astral"); latest != 2 || minDec != 2 {
		t.Errorf("transit key: latest %d, min decryption %d; want 2 and 2", latest, minDec)
	}

	openValues(t, env, values)
	noTokens(t, seen.String())
}

// TestServeWithVaultOverTLS talks to Vault's https address directly, trusting
// only the CA named by ASTRAL_VAULT_CACERT; without it the self-signed
// certificate is refused and the server does not start.
func TestServeWithVaultOverTLS(t *testing.T) {
	vs, env := startVault(t)
	env["ASTRAL_VAULT_ADDR"] = vs.URL().String()

	// Without the CA the certificate cannot be verified: no start.
	if r := astral(context.Background(), env, io.Discard, "keys", "status"); r.status() == 0 {
		t.Fatal("keys status succeeded against an unverifiable certificate")
	}

	ca := filepath.Join(t.TempDir(), "vault-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vs.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	env["ASTRAL_VAULT_CACERT"] = ca
	inst := startServer(t, env)
	if res, body := get(t, inst.URL+"/health/ready"); res.StatusCode != 200 || !strings.Contains(body, `"key_provider_vault":"ok"`) {
		t.Fatalf("ready with Vault over TLS: %d %s", res.StatusCode, body)
	}
}

// TestSealedVaultStopsPHI: when Vault is sealed while the server runs, pages
// with personal data answer 503 within the check interval (cached keys
// included), and nothing else breaks: sign-in pages and health still work,
// and readiness names the provider. Unsealing restores access.
func TestSealedVaultStopsPHI(t *testing.T) {
	vs, env := startVault(t)
	env["ASTRAL_KEYS_CHECK_INTERVAL"] = "1s"
	dir := env["ASTRAL_DATA_DIR"]
	inst := startServer(t, env)
	c := setupPractice(t, inst, dir)
	if res, _ := do(t, c, "GET", inst.URL+"/account/profile", nil); res.StatusCode != 200 {
		t.Fatalf("profile with Vault up: %d", res.StatusCode)
	}
	vs.Seal()
	time.Sleep(1100 * time.Millisecond) // past the check interval
	start := time.Now()
	res, body := do(t, c, "GET", inst.URL+"/account/profile", nil)
	if res.StatusCode != 503 || !strings.Contains(body, "temporarily unavailable") && !strings.Contains(body, "Temporarily unavailable") {
		t.Errorf("profile with Vault sealed: %d", res.StatusCode)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the 503 took %v", d)
	}
	if strings.Contains(body, "ada@lindenhof.example") {
		t.Error("personal data served with Vault sealed")
	}
	for _, path := range []string{"/login", "/health/live", "/"} {
		if res, _ := do(t, browserClient(t), "GET", inst.URL+path, nil); res.StatusCode != 200 {
			t.Errorf("%s with Vault sealed: %d", path, res.StatusCode)
		}
	}
	if body := waitStatus(t, inst.URL+"/health/ready", 503); !strings.Contains(body, `"key_provider_vault":"unavailable"`) {
		t.Errorf("readiness: %s", body)
	}
	vs.Unseal()
	if res, _ := do(t, c, "GET", inst.URL+"/account/profile", nil); res.StatusCode != 200 {
		t.Errorf("profile after unseal: %d", res.StatusCode)
	}
}
