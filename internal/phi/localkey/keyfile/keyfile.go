// Package keyfile reads and writes the local master keys: the value of
// ASTRAL_MASTER_KEY and the file ASTRAL_MASTER_KEY_FILE names.
//
// It is the one definition of those formats. package localkey uses it to load
// and rotate keys, and package config uses it to validate the settings at
// start-up, so the two cannot drift apart. It imports only the standard
// library, so config can depend on it without depending on package phi.
//
// Formats:
//
//   - ASTRAL_MASTER_KEY: either one key, base64 of 32 bytes, which is
//     version 1; or a comma-separated list of VERSION:BASE64 entries such as
//     "1:AAAA…,2:BBBB…". The highest version wraps new keys; the lowest one
//     listed is the minimum decryption version, so an operator retires a
//     version by removing it from the list.
//   - ASTRAL_MASTER_KEY_FILE: a JSON document
//     {"versions":[{"version":1,"key":"BASE64","created":"RFC3339"}],"min_decryption_version":1},
//     or, for compatibility, a file holding only one base64 key (version 1).
//     The file must not be accessible by group or others (chmod 600).
//
// Keys are base64 (standard or URL alphabet, padded or not) of exactly 32
// bytes. No error from this package contains key material, and Key values
// print as "[redacted]".
package keyfile

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KeySize is the length of a master key: an AES-256 key.
const KeySize = 32

// MaxFileSize bounds how much of a key file is read, so that a wrong path
// such as /dev/zero cannot hang start-up.
const MaxFileSize = 64 << 10

const redacted = "[redacted]"

// Key is one master key. It prints, formats, logs and marshals as
// "[redacted]" so that a Set can reach a logger, fmt or encoding/json without
// leaking; Marshal writes key files by converting explicitly.
type Key []byte

// String returns "[redacted]".
func (Key) String() string { return redacted }

// GoString returns "[redacted]".
func (Key) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (Key) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", redacted)
		return
	}
	fmt.Fprint(f, redacted)
}

// LogValue makes slog show "[redacted]".
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "[redacted]": encoding/json would otherwise write the
// bytes as base64, for example when a JSON log handler meets a Set.
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes "[redacted]".
func (Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Version is one version of the master key.
type Version struct {
	Version int
	Key     Key
	Created time.Time // zero when unknown (keys from the environment)
}

// Set is a versioned set of master keys.
type Set struct {
	// Versions is sorted by Version, ascending, without duplicates.
	Versions []Version
	// MinDecryptionVersion is the lowest version that may unwrap.
	MinDecryptionVersion int
}

// Latest returns the highest version, or 0 for an empty set.
func (s *Set) Latest() int {
	if len(s.Versions) == 0 {
		return 0
	}
	return s.Versions[len(s.Versions)-1].Version
}

// Key returns the key of version v and whether the set holds it. It does not
// look at MinDecryptionVersion.
func (s *Set) Key(v int) (Key, bool) {
	i, ok := slices.BinarySearchFunc(s.Versions, v, func(x Version, v int) int { return x.Version - v })
	if !ok {
		return nil, false
	}
	return s.Versions[i].Key, true
}

// Clone returns a deep copy of s.
func (s *Set) Clone() *Set {
	c := &Set{MinDecryptionVersion: s.MinDecryptionVersion, Versions: make([]Version, len(s.Versions))}
	for i, v := range s.Versions {
		c.Versions[i] = Version{Version: v.Version, Key: slices.Clone(v.Key), Created: v.Created}
	}
	return c
}

// validate sorts the versions and checks the set; msg names the problem.
func (s *Set) validate() error {
	if len(s.Versions) == 0 {
		return errors.New("holds no key versions")
	}
	slices.SortFunc(s.Versions, func(a, b Version) int { return a.Version - b.Version })
	for i, v := range s.Versions {
		if v.Version < 1 {
			return fmt.Errorf("has version %d; versions start at 1", v.Version)
		}
		if i > 0 && s.Versions[i-1].Version == v.Version {
			return fmt.Errorf("has version %d twice", v.Version)
		}
		if len(v.Key) != KeySize {
			return fmt.Errorf("version %d: key is not base64 of exactly %d bytes", v.Version, KeySize)
		}
	}
	if s.MinDecryptionVersion == 0 {
		s.MinDecryptionVersion = s.Versions[0].Version
	}
	if s.MinDecryptionVersion < 1 || s.MinDecryptionVersion > s.Latest() {
		return fmt.Errorf("min_decryption_version %d is outside 1..%d (the latest version)", s.MinDecryptionVersion, s.Latest())
	}
	return nil
}

// DecodeKey decodes standard or URL-safe base64, padded or not, of exactly
// KeySize bytes. Its error never contains s.
func DecodeKey(s string) (Key, error) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				break
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("is not base64 of exactly %d bytes", KeySize)
}

// ParseEnv parses the value of ASTRAL_MASTER_KEY: one key (version 1) or a
// list of VERSION:BASE64 entries separated by commas. Errors name the entry
// by position, never by content.
func ParseEnv(value string) (*Set, error) {
	value = strings.TrimSpace(value)
	if !strings.ContainsAny(value, ":,") {
		k, err := DecodeKey(value)
		if err != nil {
			return nil, err
		}
		return &Set{Versions: []Version{{Version: 1, Key: k}}, MinDecryptionVersion: 1}, nil
	}
	s := &Set{}
	for i, entry := range strings.Split(value, ",") {
		ver, key, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok {
			return nil, fmt.Errorf("entry %d is not VERSION:BASE64 (example: 1:KEY1,2:KEY2)", i+1)
		}
		n, err := strconv.Atoi(strings.TrimSpace(ver))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("entry %d does not start with a version number of 1 or more", i+1)
		}
		k, err := DecodeKey(strings.TrimSpace(key))
		if err != nil {
			return nil, fmt.Errorf("entry %d (version %d) %v", i+1, n, err)
		}
		s.Versions = append(s.Versions, Version{Version: n, Key: k})
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}
