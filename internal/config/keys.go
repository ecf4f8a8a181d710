package config

import (
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// keySize is the length of the local master key: an AES-256 key.
const keySize = 32

// Vault names: a transit key is one segment, a mount may be nested.
var (
	vaultKeyRE   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	vaultMountRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
)

// keys reads ASTRAL_KMS and the settings of both key providers. Settings of
// the provider not in use are still checked when set, so a half-finished
// switch between providers shows up early.
func (l *loader) keys(c *Config, prod bool) {
	c.KMS = l.enum("ASTRAL_KMS", "local", "local", "vault")
	l.masterKey(c)
	if prod && c.KMS == "local" && c.MasterKey == "" && c.MasterKeyFile == "" {
		l.add("ASTRAL_MASTER_KEY", "production needs ASTRAL_MASTER_KEY or ASTRAL_MASTER_KEY_FILE (development keys are refused)")
	}

	if raw := l.get("ASTRAL_VAULT_ADDR"); raw != "" {
		u, msg := webURL(raw, "https://vault.internal:8200")
		if msg != "" {
			l.add("ASTRAL_VAULT_ADDR", "%s", msg)
		}
		c.VaultAddr = u
	}
	c.VaultToken = Secret(l.get("ASTRAL_VAULT_TOKEN"))
	c.VaultMount = l.str("ASTRAL_VAULT_MOUNT", "transit")
	if !vaultMountRE.MatchString(c.VaultMount) {
		l.add("ASTRAL_VAULT_MOUNT", "%q is not a mount path (letters, digits, . _ - and inner slashes; example: transit)", c.VaultMount)
	}
	c.VaultKey = l.str("ASTRAL_VAULT_KEY", "astral")
	if !vaultKeyRE.MatchString(c.VaultKey) {
		l.add("ASTRAL_VAULT_KEY", "%q is not a key name (letters, digits, . _ -; example: astral)", c.VaultKey)
	}
	if c.KMS != "vault" {
		return
	}
	if l.get("ASTRAL_VAULT_ADDR") == "" {
		l.add("ASTRAL_VAULT_ADDR", "is required when ASTRAL_KMS=vault (example: https://vault.internal:8200)")
	}
	if c.VaultToken == "" {
		l.add("ASTRAL_VAULT_TOKEN", "is required when ASTRAL_KMS=vault")
	}
	if prod && c.VaultAddr != nil && c.VaultAddr.Scheme != "https" {
		l.add("ASTRAL_VAULT_ADDR", "%q uses plain http; production needs https://", c.VaultAddr)
	}
}

// masterKey reads ASTRAL_MASTER_KEY and ASTRAL_MASTER_KEY_FILE. Neither the
// key nor the file's contents ever appear in a message.
func (l *loader) masterKey(c *Config) {
	c.MasterKey = Secret(l.get("ASTRAL_MASTER_KEY"))
	c.MasterKeyFile = l.get("ASTRAL_MASTER_KEY_FILE")
	if c.MasterKey != "" && !isKey(c.MasterKey.Reveal()) {
		l.add("ASTRAL_MASTER_KEY", "is not base64 of exactly 32 bytes (generate one with: head -c 32 /dev/urandom | base64)")
	}
	if c.MasterKeyFile == "" {
		return
	}
	if c.MasterKey != "" {
		l.add("ASTRAL_MASTER_KEY_FILE", "is set together with ASTRAL_MASTER_KEY; set only one")
	}
	if msg := checkKeyFile(c.MasterKeyFile); msg != "" {
		l.add("ASTRAL_MASTER_KEY_FILE", "%q %s", c.MasterKeyFile, msg)
	}
}

// checkKeyFile returns "" if path holds base64 of a 32-byte key, else a
// problem message that names the cause but not the contents. It reads at most
// 1 KiB so that a wrong path such as /dev/zero cannot hang start-up.
func checkKeyFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "cannot be opened: " + pathErr(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<10))
	if err != nil {
		return "cannot be read: " + pathErr(err)
	}
	if !isKey(strings.TrimSpace(string(b))) {
		return "does not hold base64 of exactly 32 bytes"
	}
	return ""
}

// pathErr returns the cause of a file error without the path, which the
// caller already quotes.
func pathErr(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// isKey reports whether s is standard or URL-safe base64, padded or not, of
// exactly keySize bytes.
func isKey(s string) bool {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return len(b) == keySize
		}
	}
	return false
}
