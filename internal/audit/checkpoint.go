package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"
)

// checkpointTag starts every signed checkpoint message.
const checkpointTag = "astral-audit-checkpoint-v1"

// CheckpointMessage returns the bytes a checkpoint's signature covers: the
// version tag, the org id (each length-prefixed), the seq, the hash and the
// time in microseconds since the Unix epoch.
func CheckpointMessage(orgID string, seq int64, hash []byte, t time.Time) []byte {
	b := make([]byte, 0, 4+len(checkpointTag)+4+len(orgID)+8+4+len(hash)+8)
	b = appendString(b, checkpointTag)
	b = appendString(b, orgID)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = appendString(b, string(hash))
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixMicro()))
}

// KeyID names a public key: the hex of the first 8 bytes of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs checkpoints. It never prints its private key: every fmt verb
// and slog show only the key id, for a *Signer and a Signer value alike.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// NewSigner returns a signer for a 32-byte Ed25519 seed.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit: signing key seed must be %d bytes", ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, id: KeyID(pub)}, nil
}

// PublicKey returns the key verify needs to trust this signer's checkpoints.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// KeyID returns KeyID(s.PublicKey()).
func (s *Signer) KeyID() string { return s.id }

// String returns "audit signing key <id>".
func (s Signer) String() string { return "audit signing key " + s.id }

// GoString is String, so %#v does not print the key.
func (s Signer) GoString() string { return s.String() }

// Format writes String for every verb.
func (s Signer) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue makes slog show only the key id.
func (s Signer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Sign returns a checkpoint for orgID's chain at seq, whose entry has
// hash, made at t (microsecond precision, as stored).
func (s *Signer) Sign(orgID string, seq int64, hash []byte, t time.Time) Checkpoint {
	t = t.UTC().Truncate(time.Microsecond)
	return Checkpoint{
		OrgID: orgID, Seq: seq, Hash: hash, Time: t,
		KeyID: s.id, PublicKey: s.pub,
		Signature: ed25519.Sign(s.priv, CheckpointMessage(orgID, seq, hash, t)),
	}
}

// KeyFileError is the error LoadSigningKey returns for a key file that
// cannot be used. Problem is a sentence fragment for an operator, such as
// "does not exist"; neither it nor Error ever holds the file's contents.
type KeyFileError struct {
	Path    string
	Problem string
	Err     error // the cause, if any
}

func (e *KeyFileError) Error() string { return "audit signing key file " + e.Path + " " + e.Problem }

func (e *KeyFileError) Unwrap() error { return e.Err }

// LoadSigningKey reads a signer's seed from path: base64 (standard or
// URL-safe, padded or not) of 32 bytes, surrounding space ignored; make one
// with `umask 077; head -c 32 /dev/urandom | base64 > FILE`. The file must not
// be accessible by group or others: whoever reads it can forge checkpoints.
//
// When the file does not exist and create is true (development only), it
// writes a new random seed there with mode 0600, refusing to overwrite a
// file that appears meanwhile. Errors are *KeyFileError; a missing file
// without create wraps fs.ErrNotExist.
func LoadSigningKey(path string, create bool) (*Signer, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createSigningKey(path)
	}
	if err != nil {
		return nil, &KeyFileError{Path: path, Problem: "cannot be opened: " + pathErr(err), Err: err}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, &KeyFileError{Path: path, Problem: "is accessible by group or others; run chmod 600 on it"}
	}
	// 1 KiB is plenty; a wrong path such as /dev/zero cannot hang start-up.
	b, err := io.ReadAll(io.LimitReader(f, 1<<10))
	if err != nil {
		return nil, &KeyFileError{Path: path, Problem: "cannot be read: " + pathErr(err), Err: err}
	}
	seed, ok := decodeKey(strings.TrimSpace(string(b)))
	if !ok {
		return nil, &KeyFileError{Path: path, Problem: "does not hold base64 of exactly 32 bytes"}
	}
	return NewSigner(seed)
}

// pathErr returns the cause of a file error without the path.
func pathErr(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func createSigningKey(path string) (*Signer, error) {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed) // never fails
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &KeyFileError{Path: path, Problem: "cannot be created: " + pathErr(err), Err: err}
	}
	_, err = io.WriteString(f, base64.StdEncoding.EncodeToString(seed)+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, &KeyFileError{Path: path, Problem: "cannot be written: " + pathErr(err), Err: err}
	}
	return NewSigner(seed)
}

// decodeKey decodes any common base64 form of exactly 32 bytes.
func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, len(b) == 32
		}
	}
	return nil, false
}

// ParseSigningKey returns a signer for a base64 seed (standard or URL-safe,
// padded or not, surrounding space ignored), as ASTRAL_AUDIT_SIGNING_KEY holds
// it. The error never quotes s.
func ParseSigningKey(s string) (*Signer, error) {
	seed, ok := decodeKey(strings.TrimSpace(s))
	if !ok {
		return nil, errors.New("audit: a signing key is base64 of 32 bytes")
	}
	return NewSigner(seed)
}

// ParsePublicKey decodes a base64 Ed25519 public key, as
// ASTRAL_AUDIT_TRUSTED_KEYS lists them.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, ok := decodeKey(strings.TrimSpace(s))
	if !ok {
		return nil, errors.New("audit: a public key is base64 of 32 bytes")
	}
	return ed25519.PublicKey(b), nil
}
