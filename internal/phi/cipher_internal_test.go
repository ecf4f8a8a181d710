package phi

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeyID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := newKeyID()
		if err != nil {
			t.Fatal(err)
		}
		id, ok := parseKeyID(s)
		if !ok || formatKeyID(id) != s || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) || seen[s] {
			t.Fatalf("key id %q: parse ok %v, round trip %q", s, ok, formatKeyID(id))
		}
		seen[s] = true
	}
	for _, bad := range []string{"", "0190b4c0-3c1e-7000-8000-00000000000", "0190B4C0-3C1E-7000-8000-000000000000",
		"0190b4c03c1e-7000-8000-0000000000000", "0190b4c0-3c1e-7000-8000-00000000000g"} {
		if _, ok := parseKeyID(bad); ok {
			t.Errorf("parseKeyID(%q) accepted", bad)
		}
	}
}

// TestAADEncoding checks that associated data is unambiguous: moving bytes
// across a field boundary changes the encoding.
func TestAADEncoding(t *testing.T) {
	header := make([]byte, headerSize)
	enc := func(a AAD, patient string) []byte {
		b := appendAAD(nil, header, a, patient)
		if len(b) != aadSize(a, patient) {
			t.Errorf("aadSize = %d, encoding is %d bytes", aadSize(a, patient), len(b))
		}
		return b
	}
	base := enc(AAD{"o", "tab", "col", "row"}, "p")
	for _, other := range [][]byte{
		enc(AAD{"o", "ta", "bcol", "row"}, "p"),
		enc(AAD{"o", "tab", "colr", "ow"}, "p"),
		enc(AAD{"op", "tab", "col", "row"}, ""),
		enc(AAD{"o", "tab", "col", "row"}, ""),
		enc(AAD{"o", "col", "tab", "row"}, "p"),
	} {
		if bytes.Equal(base, other) {
			t.Errorf("two associated data encode alike: %q", other)
		}
	}
}

func TestParseHeader(t *testing.T) {
	ct := make([]byte, Overhead)
	ct[0], ct[1] = formatV1, algAES256GCM
	if _, err := parseHeader(ct); err != nil {
		t.Errorf("parseHeader(minimal) = %v", err)
	}
	for _, tt := range []struct {
		ct   []byte
		want error
	}{
		{nil, ErrFormat}, {[]byte{1}, ErrFormat}, {[]byte{2, 1, 0}, ErrFormat}, {[]byte{1, 2, 0}, ErrFormat},
		{ct[:Overhead-1], ErrDecrypt},
	} {
		if _, err := parseHeader(tt.ct); err != tt.want {
			t.Errorf("parseHeader(% x) = %v, want %v", tt.ct, err, tt.want)
		}
	}
}
