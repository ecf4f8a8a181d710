package config

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/astralcore/astral/internal/phi/localkey/keyfile"
)

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
	if !vaultMountRE.MatchString(c.VaultMount) || hasDotSegment(c.VaultMount) {
		l.add("ASTRAL_VAULT_MOUNT", "%q is not a mount path (letters, digits, . _ - and inner slashes; example: transit)", c.VaultMount)
	}
	c.VaultKey = l.str("ASTRAL_VAULT_KEY", "astral")
	if !vaultKeyRE.MatchString(c.VaultKey) || hasDotSegment(c.VaultKey) {
		l.add("ASTRAL_VAULT_KEY", "%q is not a key name (letters, digits, . _ -; example: astral)", c.VaultKey)
	}
	if c.VaultCACert = l.get("ASTRAL_VAULT_CACERT"); c.VaultCACert != "" {
		if _, err := LoadCAPool(c.VaultCACert); err != nil {
			l.add("ASTRAL_VAULT_CACERT", "%q %s", c.VaultCACert, err.Error())
		}
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

// hasDotSegment reports whether a slash-separated name has a "." or ".."
// segment, which the name patterns allow but which would step out of the
// transit mount in a request path.
func hasDotSegment(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// masterKey reads ASTRAL_MASTER_KEY and ASTRAL_MASTER_KEY_FILE with the
// parsers package localkey uses (package keyfile), so whatever passes here
// also loads there. Neither a key nor the file's contents ever appear in a
// message.
//
// ASTRAL_MASTER_KEY is one base64 key (version 1) or a rotation list such as
// "1:BASE64,2:BASE64". The file holds the JSON key document or one base64
// key, and must not be accessible by group or others.
func (l *loader) masterKey(c *Config) {
	c.MasterKey = Secret(l.get("ASTRAL_MASTER_KEY"))
	c.MasterKeyFile = l.get("ASTRAL_MASTER_KEY_FILE")
	if c.MasterKey != "" {
		if _, err := keyfile.ParseEnv(c.MasterKey.Reveal()); err != nil {
			l.add("ASTRAL_MASTER_KEY", "%s", masterKeyMsg(c.MasterKey.Reveal(), err))
		}
	}
	if c.MasterKeyFile == "" {
		return
	}
	if c.MasterKey != "" {
		l.add("ASTRAL_MASTER_KEY_FILE", "is set together with ASTRAL_MASTER_KEY; set only one")
	}
	// keyfile.ReadFile reads at most 64 KiB, so a wrong path such as
	// /dev/zero cannot hang start-up, and its messages name the cause only.
	if _, _, err := keyfile.ReadFile(c.MasterKeyFile); err != nil {
		l.add("ASTRAL_MASTER_KEY_FILE", "%q %s", c.MasterKeyFile, err)
	}
}

// masterKeyMsg turns a keyfile.ParseEnv error into a problem message with a
// hint for the form the operator was writing. It looks only at whether value
// contains a separator, never repeats it.
func masterKeyMsg(value string, err error) string {
	if !strings.ContainsAny(value, ":,") {
		return err.Error() + " (generate one with: head -c 32 /dev/urandom | base64)"
	}
	return "is not a valid key list: " + err.Error() + " (format: 1:BASE64,2:BASE64; the highest version wraps new keys)"
}

// LoadCAPool reads a PEM file of CA certificates into a pool. Its error says
// what is wrong without quoting the file.
func LoadCAPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is quoted by the caller
		}
		return nil, errors.New("cannot be read: " + err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("holds no PEM certificate")
	}
	return pool, nil
}
