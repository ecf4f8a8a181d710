package phi

import (
	"context"
	"errors"
)

// KeyProvider holds the key-encryption key (KEK) and wraps and unwraps data
// keys (DEKs) under it. Adapters: phi/localkey (a versioned master key from
// the environment or a file) and phi/vault (HashiCorp Vault / OpenBao
// Transit, where the KEK never leaves the server).
//
// Error contract: every method returns an error wrapping ErrUnavailable when
// the provider cannot be reached, is sealed or does not answer within the
// context's deadline; ErrKeyVersion when a wrapped key names a KEK version
// that is unknown or below the minimum decryption version; ErrUnwrap when a
// wrapped key fails authentication (tampered, or bound to other associated
// data). Implementations must honour ctx and never log key material.
type KeyProvider interface {
	// Name identifies the provider in health checks and logs: "local" or "vault".
	Name() string
	// GenerateDataKey returns a fresh 256-bit DEK, in plaintext and wrapped
	// under the newest KEK version. aad is bound to the wrapping (for
	// example the key's id), so a wrapped key cannot be moved to another
	// key's row.
	GenerateDataKey(ctx context.Context, aad []byte) (plaintext []byte, wrapped WrappedKey, err error)
	// Unwrap returns the plaintext of a wrapped DEK.
	Unwrap(ctx context.Context, wrapped WrappedKey, aad []byte) ([]byte, error)
	// Rewrap re-wraps a DEK under the newest KEK version, without the
	// plaintext leaving the provider where the provider allows it.
	Rewrap(ctx context.Context, wrapped WrappedKey, aad []byte) (WrappedKey, error)
	// Rotate adds a new KEK version and makes it the one new keys use.
	// Older versions still unwrap.
	Rotate(ctx context.Context) (newVersion int, err error)
	// Status reports the KEK versions.
	Status(ctx context.Context) (ProviderStatus, error)
	// SetMinDecryptionVersion retires every KEK version below v: keys
	// wrapped under them no longer unwrap. v may not exceed the latest
	// version.
	SetMinDecryptionVersion(ctx context.Context, v int) error
	// Ping checks that the provider is reachable and unsealed.
	Ping(ctx context.Context) error
}

// WrappedKey is a DEK encrypted under a KEK version. Ciphertext is opaque to
// everyone but the provider that made it.
type WrappedKey struct {
	Version    int
	Ciphertext []byte
}

// ProviderStatus describes a provider's KEK versions.
type ProviderStatus struct {
	Provider             string
	LatestVersion        int
	MinDecryptionVersion int
	// Versions lists every version that can still unwrap, ascending.
	Versions []int
}

// Provider errors. Check with errors.Is.
var (
	ErrUnavailable = errors.New("phi: key provider unavailable")
	ErrKeyVersion  = errors.New("phi: key version not available")
	ErrUnwrap      = errors.New("phi: wrapped key failed authentication")
)
