package mfa

import (
	"regexp"
	"strings"
	"testing"
)

// cheapParams keep hashing tests fast; the format and the check are the same.
var cheapParams = BackupParams{Memory: 64, Time: 1, Threads: 1}

func TestNewBackupCode(t *testing.T) {
	taken := map[string]bool{}
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)
	for range 200 {
		code, err := newBackupCode(taken)
		if err != nil {
			t.Fatal(err)
		}
		lookup := code[:backupLookupLen]
		if taken[lookup] {
			t.Fatalf("lookup %s handed out twice", lookup)
		}
		taken[lookup] = true
		if f := formatBackupCode(code); !shape.MatchString(f) {
			t.Fatalf("formatted code %s has the wrong shape", f)
		}
		if back, ok := normalizeBackupCode(formatBackupCode(code)); !ok || back != code {
			t.Fatalf("normalize(format(%s)) = %s, %v", code, back, ok)
		}
	}
}

// TestNormalizeBackupCode covers what people type: any case, spaces or
// dashes or none, and Crockford's look-alikes.
func TestNormalizeBackupCode(t *testing.T) {
	const canon = "7KQ2M9XD4HTVB0R1"
	tests := []struct {
		in string
		ok bool
	}{
		{"7KQ2-M9XD-4HTV-B0R1", true},
		{"7kq2-m9xd-4htv-b0r1", true},
		{"7KQ2 M9XD 4HTV B0R1", true},
		{" 7KQ2M9XD4HTVB0R1 ", true},
		{"7KQ2--M9XD-4HTV-BOR1", true}, // O for 0
		{"7KQ2-M9XD-4HTV-B0RI", true},  // I for 1
		{"7KQ2-M9XD-4HTV-B0Rl", true},  // l for 1
		{"7KQ2-M9XD-4HTV-B0R", false},
		{"7KQ2-M9XD-4HTV-B0R11", false},
		{"7KQ2-M9XD-4HTV-B0RU", false}, // U is not in the alphabet
		{"7KQ2-M9XD-4HTV-B0R_", false},
		{"7KQ2-M9XD-4HTV-B0Rß", false},
		{"", false},
	}
	for _, tt := range tests {
		got, ok := normalizeBackupCode(tt.in)
		if ok != tt.ok || (ok && got != canon) {
			t.Errorf("normalizeBackupCode(%q) = %q, %v; want ok=%v", tt.in, got, ok, tt.ok)
		}
	}
	if _, ok := normalizeBackupCode(strings.Repeat("A", 10_000)); ok {
		t.Error("a 10 000-character input was accepted")
	}
}

func TestBackupHash(t *testing.T) {
	h, err := hashBackupSecret("M9XD4HTVB0R1AB", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("hash %s is not a PHC argon2id string", h)
	}
	if strings.Contains(h, "M9XD4HTVB0R1AB") {
		t.Error("hash contains the secret")
	}
	h2, _ := hashBackupSecret("M9XD4HTVB0R1AB", cheapParams)
	if h == h2 {
		t.Error("two hashes of one secret are equal: no salt")
	}
	tests := []struct {
		name   string
		secret string
		hash   string
		want   bool
		bad    bool
	}{
		{"right", "M9XD4HTVB0R1AB", h, true, false},
		{"wrong", "M9XD4HTVB0R1AC", h, false, false},
		{"not PHC", "M9XD4HTVB0R1AB", "M9XD4HTVB0R1AB", false, true},
		{"argon2i", "x", strings.Replace(h, "argon2id", "argon2i", 1), false, true},
		{"huge memory", "x", strings.Replace(h, "m=64", "m=4194304", 1), false, true},
		{"huge time", "x", strings.Replace(h, "t=1", "t=1000", 1), false, true},
		{"no lanes", "x", strings.Replace(h, "p=1", "p=0", 1), false, true},
		{"bad base64", "x", h[:len(h)-3] + "!!!", false, true},
	}
	for _, tt := range tests {
		got, err := checkBackupSecret(tt.secret, tt.hash)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("%s: checkBackupSecret = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.bad)
		}
		if err != nil && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("%s: error %q holds the secret", tt.name, err)
		}
	}
}
