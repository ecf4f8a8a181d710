package phi

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// The ciphertext format, version 1:
//
//	offset  size  field
//	0       1     format version (1)
//	1       1     algorithm (1 = AES-256-GCM)
//	2       16    data key id (the UUID's 16 bytes)
//	18      12    nonce, fresh from crypto/rand for every seal
//	30      n+16  AES-256-GCM ciphertext of the n-byte plaintext, with its tag
//
// The GCM associated data is bytes 0–17 (so version, algorithm and key id
// are authenticated) followed by the AAD's canonical encoding and the key
// owner's patient id; see appendAAD.
//
// Random 96-bit nonces are safe for about 2^32 seals per key (NIST SP
// 800-38D §8.3). Each patient has a key of their own, which keeps every key
// far below that.
const (
	formatV1     byte = 1
	algAES256GCM byte = 1

	keyIDSize  = 16
	nonceSize  = 12
	tagSize    = 16
	headerSize = 2 + keyIDSize + nonceSize
	// Overhead is how many bytes sealing adds to a plaintext.
	Overhead = headerSize + tagSize

	dekSize = 32 // AES-256
)

// AAD names where a sealed value lives. It is bound to the ciphertext, so a
// ciphertext opens only with the same AAD it was sealed with: copied to
// another practice, table, column or row, it fails with ErrDecrypt. Every
// field is required.
type AAD struct {
	OrgID  string // the practice
	Table  string // such as "journal_entries"
	Column string // such as "body"
	RowID  string // the row's primary key
}

func (a AAD) validate() error {
	if a.OrgID == "" || a.Table == "" || a.Column == "" || a.RowID == "" {
		return errors.New("phi: associated data needs org, table, column and row id")
	}
	return nil
}

// appendAAD appends the GCM associated data: the ciphertext header up to the
// nonce, then each of org, patient, table, column and row id with a 4-byte
// big-endian length prefix, which makes the encoding unambiguous ("ab"+"c"
// and "a"+"bc" differ). The patient id is the data key owner's: "" for
// practice keys.
func appendAAD(dst, header []byte, a AAD, patientID string) []byte {
	dst = append(dst, header[:2+keyIDSize]...)
	for _, s := range [...]string{a.OrgID, patientID, a.Table, a.Column, a.RowID} {
		dst = appendField(dst, s)
	}
	return dst
}

// appendField appends s with a 4-byte big-endian length prefix.
func appendField(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func aadSize(a AAD, patientID string) int {
	return 2 + keyIDSize + 5*4 + len(a.OrgID) + len(patientID) + len(a.Table) + len(a.Column) + len(a.RowID)
}

// newAEAD returns AES-256-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != dekSize {
		return nil, fmt.Errorf("phi: data key is %d bytes, want %d", len(key), dekSize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal encrypts plaintext under aead, whose key has id keyID and belongs to
// patientID ("" for a practice key).
func seal(aead cipher.AEAD, keyID [keyIDSize]byte, patientID string, a AAD, plaintext []byte) ([]byte, error) {
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0], out[1] = formatV1, algAES256GCM
	copy(out[2:], keyID[:])
	nonce := out[2+keyIDSize : headerSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ad := appendAAD(make([]byte, 0, aadSize(a, patientID)), out, a, patientID)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// parseHeader checks the format and algorithm and returns the key id. A
// value too short to hold the header and tag is ErrDecrypt (truncated); an
// unknown version or algorithm is ErrFormat.
func parseHeader(ct []byte) ([keyIDSize]byte, error) {
	var id [keyIDSize]byte
	if len(ct) < 2 || ct[0] != formatV1 || ct[1] != algAES256GCM {
		return id, ErrFormat
	}
	if len(ct) < Overhead {
		return id, ErrDecrypt
	}
	copy(id[:], ct[2:])
	return id, nil
}

// open decrypts a ciphertext whose header parseHeader accepted.
func open(aead cipher.AEAD, patientID string, a AAD, ct []byte) ([]byte, error) {
	ad := appendAAD(make([]byte, 0, aadSize(a, patientID)), ct, a, patientID)
	pt, err := aead.Open(nil, ct[2+keyIDSize:headerSize], ct[headerSize:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// KeyIDOf returns the id of the data key that sealed ct, for tools that
// report which keys data depends on. It does not authenticate ct.
func KeyIDOf(ct []byte) (string, error) {
	id, err := parseHeader(ct)
	if err != nil {
		return "", err
	}
	return formatKeyID(id), nil
}

// newKeyID returns a random UUIDv4 for a new data key.
func newKeyID() (string, error) {
	var id [keyIDSize]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return formatKeyID(id), nil
}

// formatKeyID renders a key id as the canonical lower-case UUID text.
func formatKeyID(id [keyIDSize]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// parseKeyID parses the canonical lower-case UUID text of a key id.
func parseKeyID(s string) ([keyIDSize]byte, bool) {
	var id [keyIDSize]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return id, false
		}
	}
	_, err := hex.Decode(id[:], []byte(h))
	return id, err == nil
}
