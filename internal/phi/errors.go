package phi

import (
	"errors"

	"github.com/astralcore/astral/internal/errs"
)

// Errors of sealing and opening. Check with errors.Is; every error the
// Keyring returns is also an *errs.Error whose kind decides the response.
var (
	// ErrDecrypt means a ciphertext failed authentication: a flipped byte,
	// or a ciphertext moved to another row, column, patient or practice.
	// Its kind is errs.Internal. The Keyring logs every one as an integrity
	// failure (ids only), so callers need not.
	ErrDecrypt = errors.New("phi: ciphertext failed authentication")
	// ErrFormat means a ciphertext has an unknown format version or
	// algorithm, or is not a ciphertext at all. Its kind is errs.Internal.
	ErrFormat = errors.New("phi: unknown ciphertext format")
	// ErrErased means the ciphertext's data key was destroyed by Shred: the
	// data is erased for good (crypto-shredding). Its kind is errs.NotFound
	// with message "error.erased", so a page can show "[erased]" in place
	// of the value, and an API answers 404 for it.
	ErrErased = errors.New("phi: data erased")
)

// Message keys of the errors this package returns.
const (
	msgUnavailable   = "error.keys_unavailable"
	msgErased        = "error.erased"
	msgVersionInUse  = "error.key_version_in_use"
	msgInvalidLookup = "error.invalid"
)

func decryptErr(cause error) error {
	if cause == nil {
		cause = ErrDecrypt
	}
	return &errs.Error{Kind: errs.Internal, Err: cause}
}

func formatErr() error { return &errs.Error{Kind: errs.Internal, Err: ErrFormat} }

func erasedErr() error {
	return &errs.Error{Kind: errs.NotFound, Message: msgErased, Err: ErrErased}
}
