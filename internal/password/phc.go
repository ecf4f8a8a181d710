package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformedHash is the cause when a stored hash is not an argon2id PHC
// string this package can verify: wrong algorithm or version, bad encoding,
// or parameters out of range. Verify wraps it in an errs.Internal error, so
// callers can test for it with errors.Is.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// phcVersion is argon2 version 1.3, the only one golang.org/x/crypto/argon2
// computes.
const phcVersion = 19

// b64 is the PHC string encoding: standard alphabet, no padding, strict (no
// ignored newlines or non-zero trailing bits), so each hash has one spelling.
var b64 = base64.RawStdEncoding.Strict()

// phc is a parsed argon2id hash.
type phc struct {
	params Params
	salt   []byte
	key    []byte
}

// encode returns the PHC string of h.
func (h phc) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s",
		phcVersion, h.params, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC parses s strictly. Every failure wraps ErrMalformedHash and says
// which part is wrong, never what it holds.
func parsePHC(s string) (phc, error) {
	// The decoder skips CR and LF even in strict mode; a PHC string has
	// only visible ASCII, so anything else is refused up front.
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return phc{}, fmt.Errorf("%w: byte %d is not visible ASCII", ErrMalformedHash, i)
		}
	}
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" {
		return phc{}, fmt.Errorf("%w: want 5 $-separated fields", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: algorithm is not argon2id", ErrMalformedHash)
	}
	if v, ok := strings.CutPrefix(parts[2], "v="); !ok || v != "19" {
		return phc{}, fmt.Errorf("%w: version is not 19", ErrMalformedHash)
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return phc{}, err
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return phc{}, fmt.Errorf("%w: salt is not %d..%d bytes of base64", ErrMalformedHash, minSaltLen, maxSaltLen)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return phc{}, fmt.Errorf("%w: key is not %d..%d bytes of base64", ErrMalformedHash, minKeyLen, maxKeyLen)
	}
	return phc{params: p, salt: salt, key: key}, nil
}

// parseParams parses "m=<uint>,t=<uint>,p=<uint>" in exactly that order and
// checks the values against Params.Validate.
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: want m=,t=,p=", ErrMalformedHash)
	}
	var vals [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return Params{}, fmt.Errorf("%w: want m=,t=,p=", ErrMalformedHash)
		}
		v, ok := parseUint32(digits)
		if !ok {
			return Params{}, fmt.Errorf("%w: parameter %s is not a number", ErrMalformedHash, name[:1])
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return Params{}, fmt.Errorf("%w: p=%d", ErrMalformedHash, vals[2])
	}
	p := Params{Memory: vals[0], Time: vals[1], Threads: uint8(vals[2])}
	if err := p.Validate(); err != nil {
		return Params{}, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, nil
}

// parseUint32 parses 1 to 10 ASCII digits without sign or leading zero.
func parseUint32(s string) (uint32, bool) {
	if s == "" || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}
