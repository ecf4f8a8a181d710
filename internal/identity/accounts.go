package identity

import (
	"context"
	"time"
)

// SetupToken is the one-time token that creates the first practice and its
// first admin. OrgID and AdminID record a setup that failed half-way, so
// that a retry continues it instead of starting over.
type SetupToken struct {
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	OrgID     string
	AdminID   string
}

// Invitation invites a person, by email, to join a practice with a role.
// Email is a phi ciphertext bound to the practice's key.
type Invitation struct {
	ID         string
	OrgID      string
	Role       Role
	Email      []byte
	EmailIndex []byte
	TokenHash  []byte
	InvitedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
	UserID     string
	RevokedAt  *time.Time
}

// TokenPurpose is what a single-use emailed token is for.
type TokenPurpose string

// The purposes of single-use tokens.
const (
	PurposeVerifyEmail   TokenPurpose = "verify_email"
	PurposeMagicLink     TokenPurpose = "magic_link"
	PurposeResetPassword TokenPurpose = "reset_password"
)

// OneTimeToken is a single-use token sent by email.
type OneTimeToken struct {
	TokenHash []byte
	OrgID     string
	UserID    string
	Purpose   TokenPurpose
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// AccountStore keeps setup tokens, passwords, invitations and single-use
// tokens. Tokens are looked up by their SHA-256 hash only.
//
// Error contract: a token that is unknown, expired, used or revoked is
// errs.NotFound, the same for every reason (use methods are atomic: of two
// concurrent uses exactly one succeeds). PasswordHash of a user without a
// password is errs.NotFound.
type AccountStore interface {
	CreateSetupToken(ctx context.Context, tokenHash []byte, expiresAt time.Time) error
	SetupToken(ctx context.Context, tokenHash []byte) (SetupToken, error)
	RecordSetupProgress(ctx context.Context, tokenHash []byte, orgID, adminID string) error
	UseSetupToken(ctx context.Context, tokenHash []byte) error
	HasOrganizations(ctx context.Context) (bool, error)

	SetPasswordHash(ctx context.Context, orgID, userID, hash string) error
	PasswordHash(ctx context.Context, orgID, userID string) (string, error)

	CreateInvitation(ctx context.Context, inv Invitation) (Invitation, error)
	InvitationByToken(ctx context.Context, tokenHash []byte) (Invitation, error)
	UseInvitation(ctx context.Context, id, userID string) error
	RevokeInvitation(ctx context.Context, orgID, id string) error
	Invitations(ctx context.Context, orgID string, limit int) ([]Invitation, error)

	CreateOneTimeToken(ctx context.Context, t OneTimeToken) error
	UseOneTimeToken(ctx context.Context, tokenHash []byte, purpose TokenPurpose) (OneTimeToken, error)
}
