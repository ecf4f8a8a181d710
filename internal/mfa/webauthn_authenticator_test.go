package mfa_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator data flags (WebAuthn §6.1).
const (
	waFlagUP = 0x01
	waFlagUV = 0x04
	waFlagAT = 0x40
)

// waAuthenticator is a software authenticator with one ES256 credential:
// enough of a security key and a browser to drive real ceremonies through
// go-webauthn. Tests change its fields to misbehave: another origin, another
// RP ID, no user verification, a counter that goes backwards.
type waAuthenticator struct {
	key    *ecdsa.PrivateKey
	credID []byte
	// What the "browser" and "authenticator" put in their responses.
	origin string
	rpID   string
	flags  byte
	// counter is the signature counter; each assertion increments it first.
	counter uint32
	// userHandle is remembered from registration, as a passkey would.
	userHandle []byte
}

var b64 = base64.RawURLEncoding

func newWAAuthenticator(t *testing.T, origin, rpID string) *waAuthenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &waAuthenticator{key: key, credID: id, origin: origin, rpID: rpID, flags: waFlagUP | waFlagUV}
}

// waOptions is the part of the Begin calls' JSON an authenticator reads.
type waOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
		AuthenticatorSelection struct {
			UserVerification string `json:"userVerification"`
			ResidentKey      string `json:"residentKey"`
		} `json:"authenticatorSelection"`
		UserVerification   string `json:"userVerification"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		Timeout int `json:"timeout"`
	} `json:"publicKey"`
}

func parseWAOptions(t *testing.T, optionsJSON []byte) waOptions {
	t.Helper()
	var o waOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		t.Fatalf("options are not JSON: %v", err)
	}
	return o
}

func (a *waAuthenticator) clientData(t *testing.T, typ, challenge string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// authData builds authenticator data: rpIdHash, flags, counter and, if
// attested, the attested credential data with the COSE public key.
func (a *waAuthenticator) authData(t *testing.T, attested bool) []byte {
	t.Helper()
	rpHash := sha256.Sum256([]byte(a.rpID))
	d := append([]byte{}, rpHash[:]...)
	flags := a.flags
	if attested {
		flags |= waFlagAT
	}
	d = append(d, flags)
	d = binary.BigEndian.AppendUint32(d, a.counter)
	if !attested {
		return d
	}
	d = append(d, make([]byte, 16)...) // AAGUID: none
	d = binary.BigEndian.AppendUint16(d, uint16(len(a.credID)))
	d = append(d, a.credID...)
	point, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:]})
	if err != nil {
		t.Fatal(err)
	}
	return append(d, cose...)
}

// create answers navigator.credentials.create with "none" attestation and
// returns the PublicKeyCredential as JSON.
func (a *waAuthenticator) create(t *testing.T, optionsJSON []byte) []byte {
	t.Helper()
	o := parseWAOptions(t, optionsJSON)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user.id is not base64url: %v", err)
	}
	a.userHandle = handle
	attObj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(t, true)})
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData(t, "webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(attObj),
			"transports":        []string{"usb", "nfc"},
		},
	})
}

// get answers navigator.credentials.get: it increments the counter, signs
// authenticatorData ‖ SHA-256(clientDataJSON) and returns the
// PublicKeyCredential as JSON.
func (a *waAuthenticator) get(t *testing.T, optionsJSON []byte) []byte {
	t.Helper()
	o := parseWAOptions(t, optionsJSON)
	a.counter++
	cd := a.clientData(t, "webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(t, false)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userHandle),
		},
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
