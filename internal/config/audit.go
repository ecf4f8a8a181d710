package config

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"

	"github.com/astralcore/astral/internal/audit"
)

// auditKeyFileName is the development signing key, in DataDir.
const auditKeyFileName = "audit-signing.key"

// audit reads the audit log's settings: the key that signs checkpoints
// (ASTRAL_AUDIT_SIGNING_KEY or ASTRAL_AUDIT_SIGNING_KEY_FILE, required in
// production) and the public keys of earlier signing keys that verify still
// trusts. Keys are checked with the parsers package audit uses, so whatever
// passes here also loads there; no message repeats a key or a file's
// contents.
func (l *loader) audit(c *Config, prod bool) {
	const keyVar, fileVar = "ASTRAL_AUDIT_SIGNING_KEY", "ASTRAL_AUDIT_SIGNING_KEY_FILE"
	c.AuditSigningKey = Secret(l.get(keyVar))
	c.AuditSigningKeyFile = l.get(fileVar)
	if c.AuditSigningKey != "" {
		if _, err := audit.ParseSigningKey(c.AuditSigningKey.Reveal()); err != nil {
			l.add(keyVar, "is not base64 of exactly 32 bytes (generate one with: head -c 32 /dev/urandom | base64)")
		}
	}
	if c.AuditSigningKeyFile != "" {
		if c.AuditSigningKey != "" {
			l.add(fileVar, "is set together with %s; set only one", keyVar)
		}
		if _, err := audit.LoadSigningKey(c.AuditSigningKeyFile, false); err != nil {
			msg := "cannot be used"
			if ke, ok := errors.AsType[*audit.KeyFileError](err); ok {
				msg = ke.Problem
			}
			l.add(fileVar, "%q %s", c.AuditSigningKeyFile, msg)
		}
	}
	if prod && c.AuditSigningKey == "" && c.AuditSigningKeyFile == "" {
		l.add(keyVar, "production needs %s or %s to sign audit checkpoints (a generated development key "+
			"would sit beside the log it protects); generate one with: head -c 32 /dev/urandom | base64", keyVar, fileVar)
	}

	const trustVar = "ASTRAL_AUDIT_TRUSTED_KEYS"
	if raw := l.get(trustVar); raw != "" {
		for i, s := range strings.Split(raw, ",") {
			k, err := audit.ParsePublicKey(s)
			if err != nil {
				l.add(trustVar, "entry %d is not base64 of a 32-byte Ed25519 public key", i+1)
				continue
			}
			c.AuditTrustedKeys = append(c.AuditTrustedKeys, k)
		}
	}
}

// AuditSigningKeyPath returns the file that holds the audit checkpoint
// signing key when AuditSigningKey is not set: AuditSigningKeyFile, or, when
// that is not set either (never in production), DataDir/audit-signing.key,
// which development creates on first use.
func (c *Config) AuditSigningKeyPath() string {
	if c.AuditSigningKeyFile != "" {
		return c.AuditSigningKeyFile
	}
	return filepath.Join(c.DataDir, auditKeyFileName)
}

// auditTrustedKeys is the type of Config.AuditTrustedKeys, named here so
// that config.go needs no crypto import.
type auditTrustedKeys = []ed25519.PublicKey
