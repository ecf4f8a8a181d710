package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 with its defaults, which every authenticator app
// supports): HMAC-SHA1, 160-bit secrets, 6 digits, 30-second steps.
const (
	TOTPSecretSize = 20 // bytes; RFC 4226 §4 recommends 160 bits
	TOTPDigits     = 6
	TOTPPeriod     = 30 * time.Second
	// totpSkew is how many steps before or after the current one a code may
	// come from, for clocks and typing that lag (RFC 6238 §5.2; ASVS 6.5.5).
	totpSkew = 1
)

// secretEncoding is base32 without padding, as the Key URI format wants.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a fresh random secret.
func newTOTPSecret() ([]byte, error) {
	b := make([]byte, TOTPSecretSize)
	_, err := rand.Read(b)
	return b, err
}

// hotp is RFC 4226 §5.3: HMAC-SHA1 of the big-endian counter, dynamically
// truncated to 31 bits, reduced to digits decimal digits with leading zeros.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	s := strconv.FormatUint(uint64(bin%mod), 10)
	return strings.Repeat("0", digits-len(s)) + s
}

// totpStep returns the RFC 6238 time step of t: whole periods since the
// Unix epoch.
func totpStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// matchTOTP returns the latest time step within totpSkew of now whose code
// is code, and whether there is one. Every candidate is computed and compared
// in constant time.
func matchTOTP(key []byte, code string, now time.Time) (step int64, ok bool) {
	cur := totpStep(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s < 1 {
			continue // before the epoch's first step: no valid code
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(s), TOTPDigits)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// normalizeDigits strips the spaces and dashes people type or paste into a
// numeric code and returns it with whether it is exactly n ASCII digits.
func normalizeDigits(code string, n int) (string, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
	if len(code) != n {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	return code, true
}

// totpURI builds the otpauth:// Key URI that authenticator apps read from a
// QR code (Google Authenticator's Key URI format): the label is
// "issuer:account", and the parameters repeat the defaults explicitly so no
// app guesses.
func totpURI(issuer, account string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", secretEncoding.EncodeToString(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", strconv.Itoa(TOTPDigits))
	q.Set("period", strconv.Itoa(int(TOTPPeriod/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}
