package config

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyOf returns base64 of 32 bytes all equal to b.
func keyOf(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// writeKeyFileMode writes contents to a fresh file with the given mode.
func writeKeyFileMode(tb testing.TB, contents string, mode os.FileMode) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "master-key.json")
	if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestMasterKeyFormatsAccepted(t *testing.T) {
	doc := `{"versions":[{"version":1,"key":"` + keyOf(1) + `","created":"2026-01-02T03:04:05Z"},` +
		`{"version":2,"key":"` + keyOf(2) + `"}],"min_decryption_version":1}`
	for name, m := range map[string]map[string]string{
		"single key":               {"ASTRAL_MASTER_KEY": keyOf(1)},
		"url-safe unpadded":        {"ASTRAL_MASTER_KEY": base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))},
		"list":                     {"ASTRAL_MASTER_KEY": "1:" + keyOf(1) + ",2:" + keyOf(2)},
		"list with spaces":         {"ASTRAL_MASTER_KEY": " 1 : " + keyOf(1) + " , 3:" + keyOf(3)},
		"list of one":              {"ASTRAL_MASTER_KEY": "4:" + keyOf(4)},
		"json file":                {"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, doc, 0o600)},
		"json file, owner read":    {"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, doc, 0o400)},
		"plain file":               {"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, keyOf(1)+"\n", 0o600)},
		"json file in production":  with(goodProduction, "ASTRAL_MASTER_KEY", "", "ASTRAL_MASTER_KEY_FILE", writeKeyFileMode(t, doc, 0o600)),
		"key list in production":   with(goodProduction, "ASTRAL_MASTER_KEY", "1:"+keyOf(1)+",2:"+keyOf(2)),
		"json without min version": {"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, `{"versions":[{"version":3,"key":"`+keyOf(3)+`"}]}`, 0o600)},
	} {
		t.Run(name, func(t *testing.T) { mustLoad(t, m) })
	}
}

func TestMasterKeyProblems(t *testing.T) {
	k := keyOf(1)
	file := func(contents string) string { return writeKeyFileMode(t, contents, 0o600) }
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"list entry not versioned", map[string]string{"ASTRAL_MASTER_KEY": k + "," + k}, "ASTRAL_MASTER_KEY", "is not a valid key list: entry 1 is not VERSION:BASE64"},
		{"list version zero", map[string]string{"ASTRAL_MASTER_KEY": "0:" + k}, "ASTRAL_MASTER_KEY", "entry 1 does not start with a version number of 1 or more"},
		{"list duplicate", map[string]string{"ASTRAL_MASTER_KEY": "1:" + k + ",1:" + k}, "ASTRAL_MASTER_KEY", "has version 1 twice"},
		{"list short key", map[string]string{"ASTRAL_MASTER_KEY": "1:" + k + ",2:AAAA"}, "ASTRAL_MASTER_KEY", "entry 2 (version 2) is not base64 of exactly 32 bytes"},
		{"list trailing comma", map[string]string{"ASTRAL_MASTER_KEY": "1:" + k + ","}, "ASTRAL_MASTER_KEY", "entry 2 is not VERSION:BASE64"},
		{"file group readable", map[string]string{"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, k, 0o640)}, "ASTRAL_MASTER_KEY_FILE", "is accessible by group or others (mode 0640); run: chmod 600"},
		{"file world readable", map[string]string{"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, k, 0o604)}, "ASTRAL_MASTER_KEY_FILE", "(mode 0604)"},
		{"file bad json", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[`)}, "ASTRAL_MASTER_KEY_FILE", "is not a valid key document"},
		{"file unknown field", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[],"keys":[]}`)}, "ASTRAL_MASTER_KEY_FILE", "unknown field"},
		{"file no versions", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[]}`)}, "ASTRAL_MASTER_KEY_FILE", "holds no key versions"},
		{"file short key", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[{"version":1,"key":"AAAA"}]}`)}, "ASTRAL_MASTER_KEY_FILE", "version 1: key is not base64 of exactly 32 bytes"},
		{"file min above latest", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[{"version":1,"key":"` + k + `"}],"min_decryption_version":2}`)}, "ASTRAL_MASTER_KEY_FILE", "min_decryption_version 2 is outside 1..1"},
		{"file bad created", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[{"version":1,"key":"` + k + `","created":"yesterday"}]}`)}, "ASTRAL_MASTER_KEY_FILE", "created is not an RFC 3339 time"},
		{"file version wrong type", map[string]string{"ASTRAL_MASTER_KEY_FILE": file(`{"versions":[{"version":"1","key":"` + k + `"}]}`)}, "ASTRAL_MASTER_KEY_FILE", "has the wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
		})
	}
}

// A key file larger than any real one is refused without reading it all.
func TestMasterKeyFileTooLarge(t *testing.T) {
	path := writeKeyFileMode(t, strings.Repeat(" ", 65<<10), 0o600)
	ps := problemsOf(t, map[string]string{"ASTRAL_MASTER_KEY_FILE": path})
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "is larger than 64 KiB") {
		t.Errorf("problems = %v", ps)
	}
}

// Malformed key lists and key files never show their contents, however
// they are malformed.
func TestMasterKeyProblemsNeverPrintKeys(t *testing.T) {
	key := canaryKey // valid key whose text holds the canary
	for name, m := range map[string]map[string]string{
		"list, canary as version": {"ASTRAL_MASTER_KEY": canary + ":" + key},
		"list, canary as key":     {"ASTRAL_MASTER_KEY": "1:" + key + ",2:" + canary},
		"list, duplicate":         {"ASTRAL_MASTER_KEY": "1:" + key + ",1:" + key},
		"file, canary field":      {"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, `{"versions":[{"version":1,"key":"`+key+`","`+canary+`":1}]}`)},
		"file, canary bare":       {"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, `{"versions":[{"version":1,"key":`+canary+`}]}`)},
		"file, canary created":    {"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, `{"versions":[{"version":1,"key":"`+key+`","created":"`+canary+`"}]}`)},
		"file, canary min":        {"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, `{"versions":[{"version":1,"key":"`+key+`"}],"min_decryption_version":"`+canary+`"}`)},
		"file, trailing canary":   {"ASTRAL_MASTER_KEY_FILE": writeKeyFile(t, `{"versions":[{"version":1,"key":"`+key+`"}]}`+canary)},
		"file, readable by all":   {"ASTRAL_MASTER_KEY_FILE": writeKeyFileMode(t, key, 0o644)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(m))
			if err == nil {
				t.Fatal("Load succeeded, want problems")
			}
			assertNoCanary(t, "problems", renderings(t, err))
			if strings.Contains(err.Error(), key) {
				t.Errorf("problems show the key: %v", err)
			}
		})
	}
}

func TestVaultNamesWithoutDotSegments(t *testing.T) {
	for _, tt := range []struct{ v, val string }{
		{"ASTRAL_VAULT_MOUNT", "transit/../sys"},
		{"ASTRAL_VAULT_MOUNT", "."},
		{"ASTRAL_VAULT_KEY", ".."},
	} {
		ps := problemsOf(t, map[string]string{tt.v: tt.val})
		if len(ps) != 1 || ps[0].Var != tt.v {
			t.Errorf("%s=%q: problems = %v", tt.v, tt.val, ps)
		}
	}
	mustLoad(t, map[string]string{"ASTRAL_VAULT_MOUNT": "team.a/transit", "ASTRAL_VAULT_KEY": "astral.v2"})
}

func TestVaultCACert(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{bad, "holds no PEM certificate"},
		{filepath.Join(dir, "missing.pem"), "cannot be read"},
	} {
		_, err := Load(func(k string) string {
			if k == "ASTRAL_VAULT_CACERT" {
				return tt.path
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "ASTRAL_VAULT_CACERT") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ASTRAL_VAULT_CACERT=%s: %v, want a problem containing %q", tt.path, err, tt.want)
		}
	}
}
