package vaulttest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// call makes a raw API request and decodes the JSON answer.
func call(t *testing.T, s *Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CAPool()}}}
	req, _ := http.NewRequest(method, s.URL().String()+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, buf.String())
	}
	return resp.StatusCode, out
}

func errorsOf(m map[string]any) string {
	b, _ := json.Marshal(m["errors"])
	return string(b)
}

// The fake's wire format, checked directly, as Vault documents it.
func TestWireFormat(t *testing.T) {
	s := New(t)
	s.CreateKey("k", KeyOptions{Derived: true})

	status, m := call(t, s, "POST", "/v1/transit/datakey/plaintext/k", RootToken, `{"bits":256,"context":"YWJj"}`)
	data, _ := m["data"].(map[string]any)
	if status != 200 || data["plaintext"] == nil || !strings.HasPrefix(data["ciphertext"].(string), "vault:v1:") || m["warnings"] != nil {
		t.Errorf("datakey = %d %v", status, m)
	}
	// datakey takes no associated_data: Vault ignores it with a warning.
	_, m = call(t, s, "POST", "/v1/transit/datakey/plaintext/k", RootToken, `{"context":"YWJj","associated_data":"eHl6"}`)
	if w, _ := json.Marshal(m["warnings"]); !strings.Contains(string(w), "ignored these unrecognized parameters: [associated_data]") {
		t.Errorf("datakey with associated_data: warnings %s", w)
	}

	tests := []struct {
		name, method, path, token, body string
		status                          int
		errors                          string
	}{
		{"no token", "GET", "/v1/transit/keys/k", "", "", 403, `["permission denied"]`},
		{"wrong token", "GET", "/v1/transit/keys/k", "x", "", 403, `["permission denied"]`},
		{"missing key read", "GET", "/v1/transit/keys/nope", RootToken, "", 404, `[]`},
		{"missing key datakey", "POST", "/v1/transit/datakey/plaintext/nope", RootToken, `{}`, 400, `["encryption key not found"]`},
		{"derived without context", "POST", "/v1/transit/datakey/plaintext/k", RootToken, `{}`, 400, `["missing 'context' for key derivation`},
		{"bad bits", "POST", "/v1/transit/datakey/plaintext/k", RootToken, `{"bits":100,"context":"YWJj"}`, 400, `["invalid bit length"]`},
		{"no prefix", "POST", "/v1/transit/decrypt/k", RootToken, `{"ciphertext":"abc","context":"YWJj"}`, 400, `["invalid ciphertext: no prefix"]`},
		{"too new", "POST", "/v1/transit/decrypt/k", RootToken, `{"ciphertext":"vault:v5:AAAA","context":"YWJj"}`, 400, `["invalid ciphertext: version is too new"]`},
		{"rewrap auth failure", "POST", "/v1/transit/rewrap/k", RootToken, `{"ciphertext":"vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","context":"YWJj"}`, 500, `cipher: message authentication failed`},
		{"min above latest", "POST", "/v1/transit/keys/k/config", RootToken, `{"min_decryption_version":2}`, 400, `["cannot set min decryption version of 2, latest key version is 1"]`},
		{"no route", "GET", "/v1/transit/nothing", RootToken, "", 404, `no handler for route`},
	}
	for _, tt := range tests {
		status, m := call(t, s, tt.method, tt.path, tt.token, tt.body)
		if status != tt.status || !strings.Contains(errorsOf(m), tt.errors) {
			t.Errorf("%s: %d %s, want %d containing %s", tt.name, status, errorsOf(m), tt.status, tt.errors)
		}
	}

	s.Seal()
	if status, m := call(t, s, "GET", "/v1/transit/keys/k", RootToken, ""); status != 503 || errorsOf(m) != `["Vault is sealed"]` {
		t.Errorf("sealed read = %d %v", status, m)
	}
	if status, m := call(t, s, "GET", "/v1/sys/health", "", ""); status != 503 || m["sealed"] != true {
		t.Errorf("sealed health = %d %v", status, m)
	}
	s.Unseal()
	s.SetStandby(true)
	if status, m := call(t, s, "GET", "/v1/sys/health", "", ""); status != 429 || m["standby"] != true {
		t.Errorf("standby health = %d %v", status, m)
	}
	if s.Requests() < int64(len(tests)+4) {
		t.Errorf("Requests() = %d", s.Requests())
	}
}
