// Package password hashes, verifies and vets user passwords.
//
// Hashing is argon2id in PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, unpadded standard base64),
// so the parameters travel with every hash and a change of parameters is
// detected on the next login (SECURITY.md V6, item 30). A Hasher caps how
// many argon2id computations run at once, because each one holds Memory KiB
// and a login flood must not exhaust the process.
//
// Check applies the password policy: length limits counted in runes, a
// bundled list of common passwords, and no personal or context words. It
// imposes no composition rules (NIST 800-63B, ASVS 6.2.5).
//
// Nothing in this package logs, and no error it returns holds a password,
// a hash or personal data.
package password

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
}

// DefaultParams is the OWASP and ASVS 5.0 minimum for argon2id: 19 MiB,
// two passes, one lane.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1}

// Limits on parameters this package computes with, whether they come from
// configuration or from a stored hash. They keep a corrupt or hostile stored
// hash from making a single verification allocate gigabytes or run for
// minutes.
const (
	MaxMemory = 256 * 1024 // KiB, 256 MiB
	MaxTime   = 16
)

// Sizes of what Hash produces. Verify accepts other sizes within
// [minSaltLen, maxSaltLen] and [minKeyLen, maxKeyLen], and asks for a rehash.
const (
	SaltLen = 16
	KeyLen  = 32

	minSaltLen, maxSaltLen = 8, 64
	minKeyLen, maxKeyLen   = 16, 64
)

// errBadParams is the cause for parameters outside the limits.
var errBadParams = errors.New("password: argon2id parameters out of range")

// Validate reports whether the parameters can be computed with: at least one
// pass and one lane, at least 8 KiB of memory per lane (argon2's floor), and
// no more than MaxMemory and MaxTime. It does not enforce the OWASP minimum,
// so tests can use cheap parameters; configuration should refuse anything
// weaker than DefaultParams (see AtLeast).
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("%w: t=%d, want 1..%d", errBadParams, p.Time, MaxTime)
	case p.Threads < 1:
		return fmt.Errorf("%w: p=0", errBadParams)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxMemory:
		return fmt.Errorf("%w: m=%d, want %d..%d", errBadParams, p.Memory, 8*uint32(p.Threads), MaxMemory)
	}
	return nil
}

// AtLeast reports whether p costs at least as much as min in memory and in
// passes. Configuration uses it to refuse parameters below DefaultParams.
func (p Params) AtLeast(min Params) bool {
	return p.Memory >= min.Memory && p.Time >= min.Time
}

// String formats the parameters as in a PHC string: "m=19456,t=2,p=1".
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}
