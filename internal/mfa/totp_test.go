package mfa

import (
	"net/url"
	"testing"
	"time"
)

// rfc6238Key is the SHA-1 seed of RFC 6238 Appendix B: ASCII "1234567890"
// twice, 20 bytes.
var rfc6238Key = []byte("12345678901234567890")

// TestRFC6238Vectors checks the SHA-1 test vectors of RFC 6238 Appendix B,
// at their 8 digits and at our 6 (the last six digits, since both are the
// same 31-bit number reduced modulo a power of ten).
func TestRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix   int64
		eight  string
		six    string
		step   int64
		stepTx string // T in hex as the RFC prints it
	}{
		{59, "94287082", "287082", 1, "0000000000000001"},
		{1111111109, "07081804", "081804", 0x23523EC, "00000000023523EC"},
		{1111111111, "14050471", "050471", 0x23523ED, "00000000023523ED"},
		{1234567890, "89005924", "005924", 0x273EF07, "000000000273EF07"},
		{2000000000, "69279037", "279037", 0x3F940AA, "0000000003F940AA"},
		{20000000000, "65353130", "353130", 0x27BC86AA, "0000000027BC86AA"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0)
		step := totpStep(now)
		if step != tt.step {
			t.Errorf("totpStep(%d) = %d, want %s", tt.unix, step, tt.stepTx)
		}
		if got := hotp(rfc6238Key, uint64(step), 8); got != tt.eight {
			t.Errorf("8-digit code at %d = %s, want %s", tt.unix, got, tt.eight)
		}
		if got := hotp(rfc6238Key, uint64(step), TOTPDigits); got != tt.six {
			t.Errorf("6-digit code at %d = %s, want %s", tt.unix, got, tt.six)
		}
		if got, ok := matchTOTP(rfc6238Key, tt.six, now); !ok || got != step {
			t.Errorf("matchTOTP(%s at %d) = %d, %v; want step %d", tt.six, tt.unix, got, ok, step)
		}
	}
}

// TestMatchTOTPWindow accepts codes of the current step and one step either
// side, and nothing further.
func TestMatchTOTPWindow(t *testing.T) {
	base := time.Unix(1_700_000_010, 0) // 10 s into a step
	cur := totpStep(base)
	for _, tt := range []struct {
		offset int64
		ok     bool
	}{{-3, false}, {-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		code := hotp(rfc6238Key, uint64(cur+tt.offset), TOTPDigits)
		step, ok := matchTOTP(rfc6238Key, code, base)
		if ok != tt.ok || (ok && step != cur+tt.offset) {
			t.Errorf("code of step %+d: matchTOTP = %d, %v; want ok=%v", tt.offset, step-cur, ok, tt.ok)
		}
	}
	if _, ok := matchTOTP(rfc6238Key, "12345", base); ok {
		t.Error("a 5-digit code matched")
	}
}

func TestNormalizeDigits(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"123456", "123456", true},
		{" 123 456 ", "123456", true},
		{"123-456", "123456", true},
		{"12345", "", false},
		{"1234567", "", false},
		{"12345a", "", false},
		{"١٢٣٤٥٦", "", false}, // Arabic-Indic digits are not ASCII
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeDigits(tt.in, 6)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeDigits(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTOTPURI(t *testing.T) {
	secret := []byte("12345678901234567890")
	raw := totpURI("Astral Core", "ana+mfa@example.org", secret)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Astral Core:ana+mfa@example.org" {
		t.Errorf("URI = %s: scheme %q host %q path %q", raw, u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	want := map[string]string{
		"secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer": "Astral Core",
		"algorithm": "SHA1", "digits": "6", "period": "30",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q (URI %s)", k, q.Get(k), v, raw)
		}
	}
	if len(q) != len(want) {
		t.Errorf("URI has parameters %v, want exactly %v", q, want)
	}
}
