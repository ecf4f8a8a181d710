package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/errs"
)

// E-mail one-time codes: a fallback factor for someone without their phone
// and backup codes.
const (
	EmailCodeDigits      = 6
	EmailCodeTTL         = 10 * time.Minute // ASVS 6.5.5: out-of-band codes live ≤ 10 min
	EmailCodeMaxAttempts = 5
)

// Why e-mail codes are stored as HMACs and not argon2id hashes: a 6-digit
// code has only 10^6 values, so a slow hash would only stretch an offline
// search from seconds to hours, and it would cost 19 MiB per guess on an
// endpoint anyone with a password can call. An HMAC under the practice's
// index key (a data key wrapped by the KEK, never in the database in the
// clear) makes a database dump useless on its own, costs nothing per
// guess, and the code dies after 10 minutes or 5 attempts anyway. The HMAC
// input includes the row id, so equal codes give unrelated values.
const (
	emailCodeTable  = "email_codes"
	emailCodeColumn = "code_hash"
)

// IssueEmailCode makes a new 6-digit code for user userID of practice orgID,
// valid for 10 minutes and 5 attempts, replacing any earlier code, and
// returns it for the caller to send through the e-mail sender (it prints as
// "[redacted]"). With e-mail codes turned off (Options.EmailCodes) it is
// errs.Forbidden. A user not in the practice is errs.Invalid; a key provider
// that is down is errs.Unavailable, and nothing is stored.
//
// Issuing resets the attempt count, so callers must rate-limit issuing per
// user; otherwise an attacker could buy 5 guesses per request.
func (s *Service) IssueEmailCode(ctx context.Context, orgID, userID string) (_ config.Secret, err error) {
	defer errs.Op(&err, "mfa.IssueEmailCode")
	if !s.emailCodes {
		return "", errs.E(errs.Forbidden, "")
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "mfa.IssueEmailCode: random")
	}
	code := fmt.Sprintf("%0*d", EmailCodeDigits, n.Int64())
	id, err := newRowID()
	if err != nil {
		return "", err
	}
	hash, err := s.emailCodeHash(ctx, orgID, id, code)
	if err != nil {
		return "", err
	}
	_, err = s.store.PutEmailCode(ctx, EmailCode{ID: id, OrgID: orgID, UserID: userID, Hash: hash, ExpiresAt: s.now().Add(EmailCodeTTL)})
	if err != nil {
		return "", err
	}
	return config.Secret(code), nil
}

// VerifyEmailCode accepts the user's current e-mail code once. The attempt
// is counted before the code is compared, so concurrent guesses cannot
// exceed 5. A malformed, wrong, expired, used or exhausted code, or none, is
// ErrCodeInvalid (errs.Invalid on field "code").
func (s *Service) VerifyEmailCode(ctx context.Context, orgID, userID, code string) (err error) {
	defer errs.Op(&err, "mfa.VerifyEmailCode")
	now := s.now()
	code, ok := normalizeDigits(code, EmailCodeDigits)
	if !ok {
		return codeInvalid("malformed code")
	}
	stored, err := s.store.AttemptEmailCode(ctx, orgID, userID, EmailCodeMaxAttempts)
	if errs.Is(err, errs.NotFound) {
		return codeInvalid("no live e-mail code or attempts exhausted")
	}
	if err != nil {
		return err
	}
	if !now.Before(stored.ExpiresAt) {
		return codeInvalid("expired e-mail code")
	}
	got, err := s.emailCodeHash(ctx, orgID, stored.ID, code)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, stored.Hash) {
		return codeInvalid("wrong e-mail code")
	}
	err = s.store.UseEmailCode(ctx, orgID, userID, stored.ID)
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return codeInvalid("e-mail code used (concurrent)")
	}
	return err
}

// emailCodeHash is the stored form of code for e-mail code row id.
func (s *Service) emailCodeHash(ctx context.Context, orgID, id, code string) ([]byte, error) {
	return s.index.BlindIndex(ctx, orgID, emailCodeTable, emailCodeColumn, id+":"+code)
}
