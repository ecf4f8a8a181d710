package phi

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
)

// BlindIndexSize is the length of a blind index value: HMAC-SHA256 truncated
// to 128 bits. Collisions among 2^64 values are unlikely, far beyond any
// practice's size, so an index lookup is still an exact match in practice
// (and a lookup compares the opened value anyway); the shorter value halves
// the index's size. Truncating HMAC output is standard (NIST SP 800-107).
const BlindIndexSize = 16

// NormalizeEmail prepares an e-mail address for a blind index: trimmed of
// surrounding space and lower-cased, so lookups ignore case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizePhone prepares a phone number for a blind index: its digits only,
// keeping a leading + (after any space), so "+49 (30) 123-45" and
// "+493012345" match.
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	if strings.HasPrefix(s, "+") {
		b.WriteByte('+')
	}
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 1 && s != "" && s[0] == '+' {
		return "" // a lone + is no number
	}
	return b.String()
}

// blindIndex computes HMAC-SHA256 under key over the length-prefixed table,
// column and value, truncated to BlindIndexSize. Table and column separate
// the domains: one value indexed in two columns gives unrelated results.
func blindIndex(key []byte, table, column, value string) []byte {
	m := hmac.New(sha256.New, key)
	b := make([]byte, 0, 32+len(table)+len(column)+len(value))
	b = append(b, "astral.blind-index.v1"...)
	b = appendField(b, table)
	b = appendField(b, column)
	b = appendField(b, value)
	m.Write(b)
	return m.Sum(nil)[:BlindIndexSize]
}
