package password

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/errs"
)

func TestVerifyMalformed(t *testing.T) {
	h := mustHasher(t, testParams, 0)
	salt := b64.EncodeToString([]byte("saltsaltsaltsalt"))
	key := b64.EncodeToString([]byte("keykeykeykeykeykeykeykeykeykeyke"))
	ok := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	if _, err := parsePHC(ok); err != nil {
		t.Fatalf("the table's base case does not parse: %v", err)
	}
	tests := map[string]string{
		"empty":             "",
		"dollar only":       "$",
		"no leading dollar": ok[1:],
		"prefix text":       "x" + ok,
		"trailing dollar":   ok + "$",
		"extra field":       ok + "$abc",
		"argon2i":           strings.Replace(ok, "argon2id", "argon2i", 1),
		"bcrypt":            "$2b$10$abcdefghijklmnopqrstuu5Xv8MSPW5yXqT4QbM8JC4sWJpJ0DGwS",
		"version 16":        strings.Replace(ok, "v=19", "v=16", 1),
		"version missing":   strings.Replace(ok, "v=19$", "", 1),
		"version text":      strings.Replace(ok, "v=19", "v=x", 1),
		"params order":      strings.Replace(ok, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		"params missing":    strings.Replace(ok, "m=64,t=1,p=1", "m=64,t=1", 1),
		"params extra":      strings.Replace(ok, "m=64,t=1,p=1", "m=64,t=1,p=1,k=2", 1),
		"params spaces":     strings.Replace(ok, "m=64,t=1,p=1", "m=64, t=1,p=1", 1),
		"leading zero":      strings.Replace(ok, "m=64", "m=064", 1),
		"plus sign":         strings.Replace(ok, "m=64", "m=+64", 1),
		"negative":          strings.Replace(ok, "t=1", "t=-1", 1),
		"empty value":       strings.Replace(ok, "t=1", "t=", 1),
		"uint32 overflow":   strings.Replace(ok, "m=64", "m=4294967296", 1),
		"huge number":       strings.Replace(ok, "m=64", "m=99999999999999999999", 1),
		"memory zero":       strings.Replace(ok, "m=64", "m=0", 1),
		"memory below 8p":   strings.Replace(ok, "m=64,t=1,p=1", "m=15,t=1,p=2", 1),
		"memory above max":  strings.Replace(ok, "m=64", "m=262145", 1),
		"time zero":         strings.Replace(ok, "t=1", "t=0", 1),
		"time above max":    strings.Replace(ok, "t=1", "t=17", 1),
		"threads zero":      strings.Replace(ok, "p=1", "p=0", 1),
		"threads 256":       strings.Replace(ok, "p=1", "p=256", 1),
		"salt not base64":   strings.Replace(ok, salt, "!!!!!!!!!!!!", 1),
		"salt padded":       strings.Replace(ok, salt, salt+"==", 1),
		"salt url alphabet": strings.Replace(ok, salt, "c2FsdHNhbHRzYWx0c2Fsd_-", 1),
		"salt short":        strings.Replace(ok, salt, "c2FsdA", 1),
		"salt empty":        strings.Replace(ok, salt, "", 1),
		"key short":         strings.Replace(ok, key, "a2V5", 1),
		"key too long":      strings.Replace(ok, key, strings.Repeat("a2V5", 30), 1),
		"key bad bits":      strings.Replace(ok, key, key[:len(key)-1]+"f", 1),
		"key with newline":  strings.Replace(ok, key, key[:10]+"\n"+key[10:], 1),
	}
	for name, stored := range tests {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "pw", stored)
			if ok || rehash {
				t.Errorf("Verify(malformed) = %v, %v; want false, false", ok, rehash)
			}
			if !errs.Is(err, errs.Internal) || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify(malformed) error = %v; want Internal wrapping ErrMalformedHash", err)
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key[:8]) {
				t.Errorf("error %q echoes the stored hash", err)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	const pw = "correct horse battery staple"
	old := mustHasher(t, testParams, 0)
	stored := mustHash(t, old, pw)
	tests := []struct {
		name   string
		params Params
		want   bool
	}{
		{"same params", testParams, false},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1}, true},
		{"more time", Params{Memory: 64, Time: 2, Threads: 1}, true},
		{"more threads", Params{Memory: 64, Time: 1, Threads: 2}, true},
		{"less memory", Params{Memory: 32, Time: 1, Threads: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustHasher(t, tt.params, 0)
			ok, rehash, err := h.Verify(context.Background(), pw, stored)
			if !ok || rehash != tt.want || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash: there is nothing
			// to rehash it with.
			if ok, rehash, _ := h.Verify(context.Background(), "wrong", stored); ok || rehash {
				t.Errorf("Verify(wrong) = %v, %v; want false, false", ok, rehash)
			}
		})
	}
	t.Run("other sizes", func(t *testing.T) {
		salt := []byte("eight-by")
		key := argonKey(pw, salt, testParams, 20)
		s := phc{params: testParams, salt: salt, key: key}.encode()
		ok, rehash, err := old.Verify(context.Background(), pw, s)
		if !ok || !rehash || err != nil {
			t.Errorf("Verify(8-byte salt, 20-byte key) = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
	})
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1},
		{Memory: 64, Time: 1, Threads: 0},
		{Memory: 7, Time: 1, Threads: 1},
		{Memory: 64, Time: 1, Threads: 9},
		{Memory: MaxMemory + 1, Time: 1, Threads: 1},
		{Memory: 64, Time: MaxTime + 1, Threads: 1},
	} {
		if h, err := NewHasher(p, 1); h != nil || !errs.Is(err, errs.Internal) {
			t.Errorf("NewHasher(%v) = %v, %v; want nil, Internal error", p, h, err)
		}
	}
}
