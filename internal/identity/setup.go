package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
)

// PasswordHasher hashes and verifies passwords; password.Hasher implements
// it. Verify reports ok=false for a wrong password with a nil error; Dummy
// costs what a verification costs, for unknown accounts.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, stored string) (ok, needsRehash bool, err error)
	Dummy(ctx context.Context, password string) error
}

// PasswordChecker checks a new password against the policy for role,
// refusing it when it contains any of personal (names, email); it returns
// errs.Invalid with a field problem on "password".
type PasswordChecker func(password string, role Role, personal ...string) error

// Accounts runs first-run setup and signs people in with passwords.
type Accounts struct {
	orgs     Store
	accounts AccountStore
	profiles *ProfileService
	hasher   PasswordHasher
	check    PasswordChecker
	audit    Auditor
	mail     Mailer
	now      func() time.Time
	log      *slog.Logger
}

// NewAccounts wires the service. now may be nil (time.Now).
func NewAccounts(orgs Store, accounts AccountStore, profiles *ProfileService, hasher PasswordHasher, check PasswordChecker, auditor Auditor, mail Mailer, now func() time.Time, log *slog.Logger) *Accounts {
	if now == nil {
		now = time.Now
	}
	return &Accounts{orgs: orgs, accounts: accounts, profiles: profiles, hasher: hasher, check: check, audit: auditor, mail: mail, now: now, log: log}
}

// SetupTokenTTL is how long a first-run setup link works.
const SetupTokenTTL = 24 * time.Hour

// NewToken returns a random 256-bit token (base64url) and its SHA-256 hash,
// the only form in which tokens are stored.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥1.24)
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of a token as stored.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// PrepareSetup returns a new one-time setup token when no practice exists
// yet, and "" when setup is done: no default account ever exists, the first
// admin comes from this token.
func (a *Accounts) PrepareSetup(ctx context.Context) (_ string, err error) {
	defer errs.Op(&err, "identity.PrepareSetup")
	has, err := a.accounts.HasOrganizations(ctx)
	if err != nil || has {
		return "", err
	}
	token, hash := NewToken()
	if err := a.accounts.CreateSetupToken(ctx, hash, a.now().Add(SetupTokenTTL)); err != nil {
		return "", err
	}
	return token, nil
}

// CheckSetupToken reports whether token can still be used for setup; an
// unusable token is errs.NotFound ("error.token_invalid").
func (a *Accounts) CheckSetupToken(ctx context.Context, token string) error {
	_, err := a.accounts.SetupToken(ctx, HashToken(token))
	return err
}

// SetupInput is what the first admin enters.
type SetupInput struct {
	PracticeName string
	PracticeSlug string
	AdminName    string
	AdminEmail   string
	Password     string
}

// CompleteSetup creates the practice and its first admin, with profile and
// password, and uses up the token. Invalid input is errs.Invalid listing
// every problem; a used or expired token is errs.NotFound. A setup that
// fails half-way (say, the key provider is down) can be retried with the
// same token and continues where it stopped.
func (a *Accounts) CompleteSetup(ctx context.Context, token string, in SetupInput) (_ Actor, err error) {
	defer errs.Op(&err, "identity.CompleteSetup")
	hash := HashToken(token)
	st, err := a.accounts.SetupToken(ctx, hash)
	if err != nil {
		return Actor{}, err
	}
	in.PracticeName, in.PracticeSlug = strings.TrimSpace(in.PracticeName), strings.ToLower(strings.TrimSpace(in.PracticeSlug))
	in.AdminName, in.AdminEmail = strings.TrimSpace(in.AdminName), strings.TrimSpace(in.AdminEmail)
	if err := a.validateSetup(in); err != nil {
		return Actor{}, err
	}
	if st.OrgID == "" {
		org, err := a.orgs.CreateOrganization(ctx, in.PracticeName, in.PracticeSlug)
		if err != nil {
			return Actor{}, err
		}
		admin, err := a.orgs.CreateUser(ctx, org.ID, RoleAdmin)
		if err != nil {
			return Actor{}, err
		}
		if err := a.accounts.RecordSetupProgress(ctx, hash, org.ID, admin.ID); err != nil {
			return Actor{}, err
		}
		st.OrgID, st.AdminID = org.ID, admin.ID
	}
	actor := Actor{UserID: st.AdminID, OrgID: st.OrgID, Role: RoleAdmin}
	current, err := a.profiles.Profile(ctx, actor, actor.UserID)
	if err != nil {
		return Actor{}, err
	}
	if _, err := a.profiles.SetProfile(ctx, actor, actor.UserID, current.Version, ProfileInput{LegalName: &in.AdminName, Email: &in.AdminEmail}); err != nil {
		return Actor{}, err
	}
	phc, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Actor{}, err
	}
	if err := a.accounts.SetPasswordHash(ctx, actor.OrgID, actor.UserID, phc); err != nil {
		return Actor{}, err
	}
	if err := a.accounts.UseSetupToken(ctx, hash); err != nil {
		return Actor{}, err
	}
	info := reqctx.From(ctx)
	if err := a.audit.Record(ctx, audit.Event{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(RoleAdmin),
		Action: "practice.setup", ResourceType: "organization", ResourceID: actor.OrgID,
		Outcome: audit.Success, Purpose: audit.PurposeNormal, Category: audit.CategoryAdministration,
		IP: info.ClientIP, UserAgent: audit.CleanUserAgent(info.UserAgent), RequestID: info.ID,
	}); err != nil {
		a.log.ErrorContext(ctx, "audit of practice setup", "err", err.Error())
	}
	return actor, nil
}

func (a *Accounts) validateSetup(in SetupInput) error {
	var fe fieldErrors
	if err := ValidateOrganization(in.PracticeName, in.PracticeSlug); err != nil {
		_, _, _, fields := errs.Public(err)
		for _, f := range fields {
			f.Field = "practice_" + f.Field // the form's names: practice_name, practice_slug
			fe = append(fe, f)
		}
	}
	if in.AdminName == "" {
		fe.add("admin_name", msgRequired)
	}
	if in.AdminEmail == "" {
		fe.add("admin_email", msgRequired)
	}
	if err := (ProfileInput{LegalName: &in.AdminName, Email: &in.AdminEmail}).Validate(a.now()); err != nil {
		_, _, _, fields := errs.Public(err)
		for _, f := range fields {
			f.Field = "admin_" + strings.TrimPrefix(strings.TrimPrefix(f.Field, "legal_"), "admin_")
			fe = append(fe, f)
		}
	}
	if err := a.check(in.Password, RoleAdmin, in.AdminName, in.AdminEmail); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err // the checker itself failed: refuse, never skip the check
		}
		_, _, _, fields := errs.Public(err)
		fe = append(fe, fields...)
	}
	return fe.err()
}
