package password

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// testParams are cheap, so tests stay fast under -race. Production uses
// DefaultParams; the benchmarks measure those.
var testParams = Params{Memory: 64, Time: 1, Threads: 1}

func mustHasher(tb testing.TB, p Params, maxConcurrent int) *Hasher {
	tb.Helper()
	h, err := NewHasher(p, maxConcurrent)
	if err != nil {
		tb.Fatalf("NewHasher(%v, %d): %v", p, maxConcurrent, err)
	}
	return h
}

// argonKey derives a key the way Hash does, for hand-built PHC strings.
func argonKey(password string, salt []byte, p Params, keyLen uint32) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
}

func mustHash(tb testing.TB, h *Hasher, password string) string {
	tb.Helper()
	s, err := h.Hash(context.Background(), password)
	if err != nil {
		tb.Fatalf("Hash: %v", err)
	}
	return s
}

func TestHashRoundTrip(t *testing.T) {
	h := mustHasher(t, testParams, 0)
	const pw = "correct horse battery staple"
	s := mustHash(t, h, pw)
	if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(s, want) {
		t.Fatalf("hash does not start with %q", want)
	}
	parsed, err := parsePHC(s)
	if err != nil {
		t.Fatalf("parsePHC(Hash()) = %v", err)
	}
	if len(parsed.salt) != SaltLen || len(parsed.key) != KeyLen || parsed.params != testParams {
		t.Errorf("parsed salt %d bytes, key %d bytes, params %v; want %d, %d, %v",
			len(parsed.salt), len(parsed.key), parsed.params, SaltLen, KeyLen, testParams)
	}
	if got := parsed.encode(); got != s {
		t.Error("encode(parsePHC(s)) differs from s")
	}
	ok, rehash, err := h.Verify(context.Background(), pw, s)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if s2 := mustHash(t, h, pw); s2 == s {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestDefaultParamsFormat(t *testing.T) {
	h := mustHasher(t, DefaultParams, 0)
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(h.dummy, want) {
		t.Errorf("default hash does not start with %q", want)
	}
	if !DefaultParams.AtLeast(Params{Memory: 19456, Time: 2, Threads: 1}) || testParams.AtLeast(DefaultParams) {
		t.Error("AtLeast disagrees with the OWASP minimum")
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	h := mustHasher(t, testParams, 0)
	long := strings.Repeat("a", 72)
	tests := []struct{ name, stored, given string }{
		{"different", "correct horse battery staple", "correct horse battery stapler"},
		{"case", "Correct Horse", "correct horse"},
		{"trailing space kept", "correct horse ", "correct horse"},
		{"leading space kept", " correct horse", "correct horse"},
		{"empty given", "correct horse", ""},
		// bcrypt would truncate at 72 bytes; argon2id must not.
		{"same first 72 bytes", long + strings.Repeat("b", 28), long + strings.Repeat("c", 28)},
		{"NFC vs NFD", "caf\u00e9-au-lait", "cafe\u0301-au-lait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustHash(t, h, tt.stored)
			ok, rehash, err := h.Verify(context.Background(), tt.given, s)
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestVerifyTampered(t *testing.T) {
	h := mustHasher(t, testParams, 0)
	const pw = "correct horse battery staple"
	s := mustHash(t, h, pw)
	p, err := parsePHC(s)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte) []byte { c := append([]byte(nil), b...); c[0] ^= 1; return c }
	tests := map[string]phc{
		"key":    {params: p.params, salt: p.salt, key: flip(p.key)},
		"salt":   {params: p.params, salt: flip(p.salt), key: p.key},
		"memory": {params: Params{Memory: 72, Time: 1, Threads: 1}, salt: p.salt, key: p.key},
		"time":   {params: Params{Memory: 64, Time: 2, Threads: 1}, salt: p.salt, key: p.key},
	}
	for name, tampered := range tests {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), pw, tampered.encode())
			if ok || rehash || err != nil {
				t.Errorf("Verify(tampered) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}
