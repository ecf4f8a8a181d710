package vaulttest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// key is a transit key ("policy" in Vault's source).
type key struct {
	opts          KeyOptions
	versions      map[int][]byte
	created       map[int]time.Time
	latest        int
	minDecryption int
	minEncryption int
}

func newKey(opts KeyOptions) *key {
	if opts.Type == "" {
		opts.Type = "aes256-gcm96"
	}
	k := &key{opts: opts, versions: map[int][]byte{}, created: map[int]time.Time{}, minDecryption: 1}
	k.rotate()
	return k
}

func (k *key) rotate() {
	k.latest++
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	k.versions[k.latest] = b
	k.created[k.latest] = time.Now()
}

// userError is an error Vault reports as 400; other errors are 500s.
type userError string

func (e userError) Error() string { return string(e) }

const (
	errTooOld     = "ciphertext or signature version is disallowed by policy (too old)"
	errNoContext  = "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"
	errAuthFailed = "cipher: message authentication failed" // crypto/cipher's GCM error text
)

// aead returns the AEAD for version v under context, deriving a per-context
// key with HKDF-SHA256 (salt nil, info = context) for derived keys, as
// keysutil.DeriveKey does. A non-derived key ignores context.
func (k *key) aead(v int, context []byte) (cipher.AEAD, error) {
	if k.opts.Type != "aes256-gcm96" {
		return nil, userError(fmt.Sprintf("this test server cannot encrypt with key type %s", k.opts.Type))
	}
	raw := k.versions[v]
	if k.opts.Derived {
		if len(context) == 0 {
			return nil, userError(errNoContext)
		}
		d, err := hkdf.Key(sha256.New, raw, nil, string(context), 32)
		if err != nil {
			return nil, err
		}
		raw = d
	}
	b, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (k *key) encrypt(ver int, context, plaintext, ad []byte) (string, int, error) {
	if ver == 0 {
		ver = k.latest
	}
	if ver < 1 || ver > k.latest || ver < k.minEncryption {
		return "", 0, userError("invalid key version")
	}
	a, err := k.aead(ver, context)
	if err != nil {
		return "", 0, err
	}
	nonce := make([]byte, a.NonceSize())
	_, _ = rand.Read(nonce)
	ct := a.Seal(nonce, nonce, plaintext, ad)
	return "vault:v" + strconv.Itoa(ver) + ":" + base64.StdEncoding.EncodeToString(ct), ver, nil
}

// decrypt follows keysutil.Policy.DecryptWithFactory's checks in order.
func (k *key) decrypt(context []byte, value string, ad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(value, "vault:v")
	if !ok {
		return nil, userError("invalid ciphertext: no prefix")
	}
	verText, body, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, userError("invalid ciphertext: wrong number of fields")
	}
	ver, err := strconv.Atoi(verText)
	if err != nil {
		return nil, userError("invalid ciphertext: version number could not be decoded")
	}
	if ver == 0 {
		ver = 1
	}
	if ver > k.latest {
		return nil, userError("invalid ciphertext: version is too new")
	}
	if k.minDecryption > 0 && ver < k.minDecryption {
		return nil, userError(errTooOld)
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, userError("invalid ciphertext: could not decode base64")
	}
	a, err := k.aead(ver, context)
	if err != nil {
		return nil, err
	}
	if len(raw) < a.NonceSize() {
		return nil, userError("invalid ciphertext length")
	}
	plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], ad)
	if err != nil {
		// Not a userError: Transit passes the cipher's error through.
		return nil, fmt.Errorf("%s", errAuthFailed)
	}
	return plain, nil
}

func (k *key) info(name string) map[string]any {
	versions := map[string]int64{}
	for v, t := range k.created {
		if v >= k.minDecryption { // older versions are archived, not listed
			versions[strconv.Itoa(v)] = t.Unix()
		}
	}
	d := map[string]any{
		"name":                   name,
		"type":                   k.opts.Type,
		"derived":                k.opts.Derived,
		"exportable":             k.opts.Exportable,
		"allow_plaintext_backup": k.opts.AllowPlaintextBackup,
		"deletion_allowed":       false,
		"latest_version":         k.latest,
		"min_decryption_version": k.minDecryption,
		"min_encryption_version": k.minEncryption,
		"min_available_version":  0,
		"supports_encryption":    true,
		"supports_decryption":    true,
		"supports_derivation":    true,
		"supports_signing":       false,
		"keys":                   versions,
	}
	if k.opts.Derived {
		d["kdf"] = "hkdf_sha256"
	}
	return d
}
