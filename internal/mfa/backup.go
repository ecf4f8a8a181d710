package mfa

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Backup codes look like "7KQ2-M9XD-4HTV-B0RN": 16 characters of Crockford
// base32 in four groups. The first two characters are a lookup id, stored in
// the clear, so that checking a code costs one argon2id computation instead
// of one per stored code; the other 14 carry 70 random bits, well above the
// 64 we promise (SECURITY.md V6 item 8). Because 70 bits is under 112, the
// secret part is stored as an argon2id hash (ASVS 6.5.2).
const (
	BackupCodeCount = 10
	backupLookupLen = 2
	backupSecretLen = 14
	backupCodeLen   = backupLookupLen + backupSecretLen
	backupGroup     = 4
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so nothing is
// mistaken for 1, 0 or another letter.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// BackupParams are argon2id costs.
type BackupParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultBackupParams is the OWASP and ASVS 5.0 minimum for argon2id.
var DefaultBackupParams = BackupParams{Memory: 19456, Time: 2, Threads: 1}

// Limits on the parameters of a stored hash, so a corrupt or hostile row
// cannot make one check allocate gigabytes or run for minutes.
const (
	maxBackupMemory = 256 * 1024
	maxBackupTime   = 16
)

const (
	backupSaltLen = 16
	backupKeyLen  = 32
)

// newBackupCode returns a fresh code, normalized (no dashes), whose lookup
// id is not in taken.
func newBackupCode(taken map[string]bool) (string, error) {
	b := make([]byte, backupCodeLen)
	for {
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = crockford[b[i]&31] // 256 is a multiple of 32: uniform
		}
		if !taken[string(b[:backupLookupLen])] {
			return string(b), nil
		}
	}
}

// formatBackupCode groups a normalized code for people: "7KQ2-M9XD-…".
func formatBackupCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += backupGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i:min(i+backupGroup, len(code))])
	}
	return b.String()
}

// normalizeBackupCode reads a code as a person may type it: any case, with
// or without dashes and spaces, and with the look-alikes Crockford allows
// (O for 0; I and L for 1). It returns the code in canonical form and
// whether it has the right length and alphabet.
func normalizeBackupCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(crockford, byte(r)) < 0 {
			return "", false
		}
		b.WriteRune(r)
		if b.Len() > backupCodeLen {
			return "", false
		}
	}
	if b.Len() != backupCodeLen {
		return "", false
	}
	return b.String(), true
}

// hashBackupSecret returns the argon2id hash of secret in PHC string format,
// $argon2id$v=19$m=…,t=…,p=…$salt$key, so the parameters travel with it.
func hashBackupSecret(secret string, p BackupParams) (string, error) {
	salt := make([]byte, backupSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, backupKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// errBadHash is the cause for a stored hash that cannot be parsed.
var errBadHash = errors.New("mfa: malformed backup code hash")

// checkBackupSecret reports whether secret matches a hash from
// hashBackupSecret, comparing in constant time.
func checkBackupSecret(secret, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var p BackupParams
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); n != 3 || err != nil {
		return false, errBadHash
	}
	if p.Time < 1 || p.Time > maxBackupTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxBackupMemory {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
