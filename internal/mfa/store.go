package mfa

import (
	"context"
	"time"
)

// TOTPCredential is an authenticator app's shared secret, as stored. It is
// pending from BeginTOTP until ConfirmTOTP activates it.
type TOTPCredential struct {
	ID     string
	OrgID  string
	UserID string
	// Secret is the 20-byte key sealed under the user's data key and bound
	// to this row (table totp_credentials, column secret, row ID).
	Secret []byte
	// LastStep is the last accepted time step (unix time / 30 s); a code of
	// this step or an earlier one is never accepted again. 0 until confirmed.
	LastStep    int64
	CreatedAt   time.Time
	ConfirmedAt *time.Time // nil while pending
}

// BackupCode is one single-use backup code, as stored: a lookup id in the
// clear (so verifying costs one argon2id computation, not ten) and the
// argon2id hash of the secret part.
type BackupCode struct {
	ID        string
	OrgID     string
	UserID    string
	Lookup    string // the code's first two characters
	Hash      string // argon2id in PHC string format
	CreatedAt time.Time
	UsedAt    *time.Time
}

// EmailCode is a one-time code sent by e-mail, as stored: a keyed HMAC of the
// code bound to the row id, when it expires, and how often it was tried.
type EmailCode struct {
	ID        string
	OrgID     string
	UserID    string
	Hash      []byte
	ExpiresAt time.Time
	Attempts  int
	CreatedAt time.Time
	UsedAt    *time.Time
}

// Store is the storage the second factors need; internal/store implements it
// on SQLite and PostgreSQL, each call in its own transaction, stamping
// CreatedAt, ConfirmedAt and UsedAt from the store's clock.
//
// Error contract, for every method: a missing row, or one of another user or
// practice, is errs.NotFound; a user who is not in practice orgID is
// errs.Invalid; a lost race named below is errs.Conflict; anything else is
// errs.Internal.
type Store interface {
	// PutPendingTOTP stores c as the user's pending TOTP enrolment,
	// replacing any earlier pending one (an active one stays until
	// ActivateTOTP), and returns it as stored.
	PutPendingTOTP(ctx context.Context, c TOTPCredential) (TOTPCredential, error)
	// PendingTOTP returns the user's pending enrolment.
	PendingTOTP(ctx context.Context, orgID, userID string) (TOTPCredential, error)
	// ActiveTOTP returns the user's active credential.
	ActiveTOTP(ctx context.Context, orgID, userID string) (TOTPCredential, error)
	// ActivateTOTP makes pending credential id the user's active one, with
	// step as its last accepted step, and deletes the one it replaces. A
	// credential that is no longer pending is errs.NotFound.
	ActivateTOTP(ctx context.Context, orgID, userID, id string, step int64) (TOTPCredential, error)
	// AdvanceTOTPStep records step as the last accepted step of active
	// credential id if it is later than the stored one; otherwise (a replay,
	// or a concurrent use of the same code) it is errs.Conflict.
	AdvanceTOTPStep(ctx context.Context, orgID, userID, id string, step int64) error
	// DeleteTOTP deletes the user's active and pending credentials;
	// errs.NotFound when there were none.
	DeleteTOTP(ctx context.Context, orgID, userID string) error

	// ReplaceBackupCodes deletes every backup code of the user, used or
	// not, and stores codes instead. Two codes with one lookup is
	// errs.Conflict.
	ReplaceBackupCodes(ctx context.Context, orgID, userID string, codes []BackupCode) error
	// UnusedBackupCode returns the user's unused code with this lookup id.
	UnusedBackupCode(ctx context.Context, orgID, userID, lookup string) (BackupCode, error)
	// UseBackupCode marks code id used. A code already used, even by a
	// concurrent call, is errs.Conflict: exactly one use succeeds.
	UseBackupCode(ctx context.Context, orgID, userID, id string) error
	// CountBackupCodes returns how many unused codes the user has.
	CountBackupCodes(ctx context.Context, orgID, userID string) (int, error)

	// PutEmailCode stores c as the user's e-mail code, replacing any
	// earlier one, with no attempts yet, and returns it as stored.
	PutEmailCode(ctx context.Context, c EmailCode) (EmailCode, error)
	// AttemptEmailCode counts one attempt at the user's unused e-mail code
	// and returns it with the new count. A code already tried maxAttempts
	// times, a used one, or none is errs.NotFound. Expiry is the caller's
	// check: counting an attempt at an expired code does no harm.
	AttemptEmailCode(ctx context.Context, orgID, userID string, maxAttempts int) (EmailCode, error)
	// UseEmailCode marks e-mail code id used. A code already used, even by
	// a concurrent call, is errs.Conflict.
	UseEmailCode(ctx context.Context, orgID, userID, id string) error
}
