// Package mfa holds the second factors of an account: TOTP authenticator
// apps (RFC 6238), single-use backup codes, one-time codes sent by e-mail as
// a fallback, and the server-rendered QR code that carries a TOTP secret to a
// phone. WebAuthn passkeys live beside them in this package.
//
// No factor secret is ever stored, logged or returned in an error in the
// clear: TOTP secrets are sealed under the user's data key, backup codes are
// argon2id hashes, and e-mail codes are keyed HMACs. Every wrong, replayed or
// expired code is the same error (see ErrCodeInvalid), so an attacker learns
// nothing from which check failed; the private cause says which, for logs.
//
// The package declares the Store it needs; internal/store implements it. Time
// comes only from the clock injected through Options.Now.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

// Sealer encrypts and decrypts factor secrets; *phi.Keyring implements it.
// Seal binds the ciphertext to aad; Open fails for any other aad. Both return
// *errs.Error values (errs.Unavailable while the key provider is down).
type Sealer interface {
	Seal(ctx context.Context, owner phi.Owner, aad phi.AAD, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, ct []byte, aad phi.AAD) ([]byte, error)
}

// Indexer computes keyed HMACs under a practice's index key;
// *phi.Keyring implements it. E-mail codes are stored as such HMACs.
type Indexer interface {
	BlindIndex(ctx context.Context, orgID, table, column, normalized string) ([]byte, error)
}

// Options tune a Service. The zero value is usable.
type Options struct {
	// Now is the server clock, the only source of time for every code; nil
	// means time.Now.
	Now func() time.Time
	// Issuer names the service in authenticator apps; "" means "Astral Core".
	Issuer string
	// BackupParams are the argon2id costs for new backup codes; the zero
	// value means DefaultBackupParams. Stored hashes keep their own.
	BackupParams BackupParams
	// MaxConcurrentHashes caps argon2id computations running at once (each
	// holds BackupParams.Memory KiB); 0 means 2.
	MaxConcurrentHashes int
	// EmailCodes offers one-time codes by e-mail as a fallback factor. When
	// false, IssueEmailCode is errs.Forbidden and Factors reports no e-mail.
	EmailCodes bool
}

// Service enrols and verifies second factors. It is safe for concurrent use.
// It decides nothing about who may change whose factors: callers authorise
// (and require a fresh re-authentication) before calling it.
type Service struct {
	store      Store
	sealer     Sealer
	index      Indexer
	now        func() time.Time
	issuer     string
	params     BackupParams
	hashes     chan struct{} // semaphore for argon2id
	emailCodes bool
}

// NewService returns a Service over st. sealer and index are usually the
// same *phi.Keyring.
func NewService(st Store, sealer Sealer, index Indexer, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Issuer == "" {
		opts.Issuer = "Astral Core"
	}
	if opts.BackupParams == (BackupParams{}) {
		opts.BackupParams = DefaultBackupParams
	}
	if opts.MaxConcurrentHashes <= 0 {
		opts.MaxConcurrentHashes = 2
	}
	return &Service{
		store: st, sealer: sealer, index: index, now: opts.Now, issuer: opts.Issuer,
		params: opts.BackupParams, hashes: make(chan struct{}, opts.MaxConcurrentHashes),
		emailCodes: opts.EmailCodes,
	}
}

// FactorSummary says which second factors a user has, for account settings
// and for choosing what a sign-in may ask for.
type FactorSummary struct {
	TOTP            bool // an active (confirmed) authenticator app
	BackupCodesLeft int  // unused backup codes
	WebAuthn        int  // registered passkeys; filled by the WebAuthn code
	Email           bool // e-mail one-time codes are offered
}

// Factors returns the second factors of user userID in practice orgID. Store
// failures are passed on as classified.
func (s *Service) Factors(ctx context.Context, orgID, userID string) (_ FactorSummary, err error) {
	defer errs.Op(&err, "mfa.Factors")
	var f FactorSummary
	switch _, err := s.store.ActiveTOTP(ctx, orgID, userID); {
	case err == nil:
		f.TOTP = true
	case !errs.Is(err, errs.NotFound):
		return FactorSummary{}, err
	}
	if f.BackupCodesLeft, err = s.store.CountBackupCodes(ctx, orgID, userID); err != nil {
		return FactorSummary{}, err
	}
	f.Email = s.emailCodes
	return f, nil
}

// MsgCodeInvalid is the one field message for every rejected code.
const MsgCodeInvalid = "field.code_invalid"

// ErrCodeInvalid is the cause of every rejected code; errors.Is finds it in
// the errors the Verify and Confirm methods return.
var ErrCodeInvalid = errors.New("mfa: code rejected")

// codeInvalid returns the one error for a wrong, replayed, expired or
// exhausted code: errs.Invalid with MsgCodeInvalid on field "code". why is
// the private cause for logs; it never holds the code or a secret.
func codeInvalid(why string) error {
	return &errs.Error{
		Kind:    errs.Invalid,
		Message: "error.invalid",
		Fields:  []errs.FieldError{{Field: "code", Message: MsgCodeInvalid}},
		Err:     fmt.Errorf("%w: %s", ErrCodeInvalid, why),
	}
}

// newRowID returns a row id: a UUIDv7 as text, like the store's own ids. The
// service makes ids because sealed values and HMACs are bound to them.
func newRowID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "mfa.newRowID")
	}
	return id.String(), nil
}
