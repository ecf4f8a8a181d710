package keyfile

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMarshalParseRoundTrip(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &Set{Versions: []Version{
		{Version: 3, Key: bytes.Repeat([]byte{3}, 32)},
		{Version: 1, Key: bytes.Repeat([]byte{1}, 32), Created: created},
	}, MinDecryptionVersion: 1}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Latest() != 3 || got.MinDecryptionVersion != 1 || got.Versions[0].Version != 1 || !got.Versions[0].Created.Equal(created) {
		t.Errorf("round trip = %+v", got)
	}
	if k, ok := got.Key(3); !ok || !bytes.Equal(k, bytes.Repeat([]byte{3}, 32)) {
		t.Error("Key(3) lost")
	}
	if _, ok := got.Key(2); ok {
		t.Error("Key(2) found in a set without version 2")
	}
}

func TestDecodeKeyEncodings(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff}, 16)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := DecodeKey(enc.EncodeToString(raw)); err != nil || !bytes.Equal(k, raw) {
			t.Errorf("DecodeKey(%v) = %v", enc, err)
		}
	}
	if _, err := DecodeKey(base64.StdEncoding.EncodeToString(raw[:31])); err == nil {
		t.Error("31-byte key accepted")
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := Key("0123456789abcdef0123456789abcdef")
	s := Set{Versions: []Version{{Version: 1, Key: k}}}
	for _, got := range []string{fmt.Sprint(k), fmt.Sprintf("%x %X %s %q %v %+v %#v %d", k, k, k, k, s, s, s, k)} {
		if strings.Contains(got, "0123") || strings.Contains(got, "3031") {
			t.Errorf("key printed: %s", got)
		}
	}
}

func TestCreateFileDoesNotClobber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.json")
	s := &Set{Versions: []Version{{Version: 1, Key: bytes.Repeat([]byte{1}, 32)}}}
	if err := CreateFile(path, s); err != nil {
		t.Fatal(err)
	}
	s2 := &Set{Versions: []Version{{Version: 1, Key: bytes.Repeat([]byte{2}, 32)}}}
	if err := CreateFile(path, s2); err == nil || !os.IsExist(err) && !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second CreateFile = %v, want exists", err)
	}
	got, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := got.Key(1); k[0] != 1 {
		t.Error("CreateFile replaced an existing key file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d directory entries, want 1 (temporary file left behind)", len(entries))
	}
}
