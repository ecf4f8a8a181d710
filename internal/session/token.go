package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// tokenBytes is the entropy of every token: 256 bits.
const tokenBytes = 32

// tokenLen is the length of a session token: base64url of 32 bytes, no
// padding.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// maxPresented bounds the token text Validate hashes. Anything longer is
// malformed; it is replaced by a fixed string of ordinary length so that
// the lookup that follows costs what an unknown token's does.
const maxPresented = 128

// Hash is the SHA-256 of a token: what the store and the caches keep and
// look up by. A hash does not sign anyone in.
type Hash [sha256.Size]byte

// String returns the hash in hex, for cache keys and pub/sub messages.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// newToken returns a fresh token (prefix + 256 random bits, base64url) and
// its hash.
func newToken(prefix string) (string, Hash) {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never returns an error; it crashes the program when
	// the system's generator fails, which is the right outcome here.
	_, _ = rand.Read(b)
	tok := prefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

// hashToken returns the lookup hash of a presented token. The whole text is
// hashed, prefix included.
func hashToken(token string) Hash { return sha256.Sum256([]byte(token)) }

// malformedStandIn replaces over-long tokens before hashing.
var malformedStandIn = strings.Repeat("!", tokenLen)

// presentedHash returns the hash to look up for a presented token and
// whether the token is well formed: prefix followed by exactly tokenLen
// base64url characters. A malformed token is still hashed and looked up (it
// will not be found), so that every failure follows the same path.
func presentedHash(token, prefix string) (Hash, bool) {
	if len(token) > maxPresented {
		return hashToken(malformedStandIn), false
	}
	ok := strings.HasPrefix(token, prefix) && len(token) == len(prefix)+tokenLen
	if ok {
		for i := len(prefix); i < len(token); i++ {
			c := token[i]
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				ok = false
			}
		}
	}
	return hashToken(token), ok
}
