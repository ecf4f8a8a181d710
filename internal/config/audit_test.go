package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditSigningKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask may have cut it
			t.Fatal(err)
		}
		return p
	}
	good := write("good.key", goodKey+"\n", 0o600)
	open := write("open.key", goodKey, 0o644)
	short := write("short.key", base64.StdEncoding.EncodeToString([]byte("short")), 0o600)
	pub := base64.StdEncoding.EncodeToString(make([]byte, 32))

	c := mustLoad(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	if c.AuditSigningKeyPath() != filepath.Join(dir, "audit-signing.key") || c.AuditSigningKey != "" {
		t.Errorf("default AuditSigningKeyPath = %q", c.AuditSigningKeyPath())
	}
	c = mustLoad(t, map[string]string{"ASTRAL_AUDIT_SIGNING_KEY_FILE": good, "ASTRAL_AUDIT_TRUSTED_KEYS": pub + ", " + pub})
	if c.AuditSigningKeyPath() != good || len(c.AuditTrustedKeys) != 2 {
		t.Errorf("AuditSigningKeyPath = %q, %d trusted keys", c.AuditSigningKeyPath(), len(c.AuditTrustedKeys))
	}
	mustLoad(t, with(goodProduction, "ASTRAL_AUDIT_SIGNING_KEY", goodKey))
	mustLoad(t, with(with(goodProduction, "ASTRAL_AUDIT_SIGNING_KEY", ""), "ASTRAL_AUDIT_SIGNING_KEY_FILE", good))

	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"production without a key", with(goodProduction, "ASTRAL_AUDIT_SIGNING_KEY", ""), "ASTRAL_AUDIT_SIGNING_KEY", "production needs"},
		{"bad key", map[string]string{"ASTRAL_AUDIT_SIGNING_KEY": canaryKey + "=="}, "ASTRAL_AUDIT_SIGNING_KEY", "not base64 of exactly 32 bytes"},
		{"both", map[string]string{"ASTRAL_AUDIT_SIGNING_KEY": goodKey, "ASTRAL_AUDIT_SIGNING_KEY_FILE": good}, "ASTRAL_AUDIT_SIGNING_KEY_FILE", "set only one"},
		{"missing file", map[string]string{"ASTRAL_AUDIT_SIGNING_KEY_FILE": filepath.Join(dir, "nope")}, "ASTRAL_AUDIT_SIGNING_KEY_FILE", "cannot be opened"},
		{"readable by others", map[string]string{"ASTRAL_AUDIT_SIGNING_KEY_FILE": open}, "ASTRAL_AUDIT_SIGNING_KEY_FILE", "chmod 600"},
		{"short key in file", map[string]string{"ASTRAL_AUDIT_SIGNING_KEY_FILE": short}, "ASTRAL_AUDIT_SIGNING_KEY_FILE", "exactly 32 bytes"},
		{"bad trusted key", map[string]string{"ASTRAL_AUDIT_TRUSTED_KEYS": pub + ",nope"}, "ASTRAL_AUDIT_TRUSTED_KEYS", "entry 2 is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
			if strings.Contains(ps.Error(), canary) || strings.Contains(ps.Error(), goodKey) {
				t.Errorf("a problem quotes the key: %v", ps)
			}
		})
	}
}
