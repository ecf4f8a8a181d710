package mfa

import (
	"context"
	"time"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

// totpPendingTTL bounds how long a started enrolment waits for its first
// code. Long enough to install an app; short enough that a secret shown on
// an abandoned screen soon stops mattering.
const totpPendingTTL = 30 * time.Minute

// MsgTOTPEnrolmentExpired tells the user to start setting up the app again.
const MsgTOTPEnrolmentExpired = "error.totp_enrolment_expired"

// TOTPEnrollment is what the user needs to add the account to an
// authenticator app. It is shown once and never stored in the clear; both
// fields print as "[redacted]".
type TOTPEnrollment struct {
	// Secret is the key in base32 without padding (32 characters), for
	// typing into an app by hand.
	Secret config.Secret
	// URI is the otpauth:// Key URI for the QR code (see QRCodeSVG). It
	// holds the secret and the account label.
	URI config.Secret
}

// BeginTOTP starts enrolling an authenticator app for user userID of
// practice orgID: it makes a fresh 160-bit secret, stores it sealed as the
// user's pending enrolment (replacing an earlier pending one; an active app
// keeps working until ConfirmTOTP), and returns it with its otpauth:// URI,
// labelled accountLabel (such as the user's e-mail address). A user not in
// the practice is errs.Invalid; a key provider that is down is
// errs.Unavailable, and nothing is stored.
func (s *Service) BeginTOTP(ctx context.Context, orgID, userID string, accountLabel phi.Text) (_ TOTPEnrollment, err error) {
	defer errs.Op(&err, "mfa.BeginTOTP")
	secret, err := newTOTPSecret()
	if err != nil {
		return TOTPEnrollment{}, errs.Wrap(err, errs.Internal, "mfa.newTOTPSecret")
	}
	defer clear(secret)
	id, err := newRowID()
	if err != nil {
		return TOTPEnrollment{}, err
	}
	sealed, err := s.sealer.Seal(ctx, phi.Owner{OrgID: orgID, PatientID: userID}, totpAAD(orgID, id), secret)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if _, err := s.store.PutPendingTOTP(ctx, TOTPCredential{ID: id, OrgID: orgID, UserID: userID, Secret: sealed}); err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{
		Secret: config.Secret(secretEncoding.EncodeToString(secret)),
		URI:    config.Secret(totpURI(s.issuer, accountLabel.Reveal(), secret)),
	}, nil
}

// ConfirmTOTP finishes the enrolment BeginTOTP started: if code is the
// pending secret's code for the current step or the one before or after, the
// pending credential becomes the user's active one (replacing any earlier
// app) and the code's step counts as used. A wrong code is ErrCodeInvalid
// (errs.Invalid on field "code") and the enrolment stays pending; no pending
// enrolment, or one older than 30 minutes, is errs.NotFound with message
// MsgTOTPEnrolmentExpired.
func (s *Service) ConfirmTOTP(ctx context.Context, orgID, userID, code string) (err error) {
	defer errs.Op(&err, "mfa.ConfirmTOTP")
	now := s.now()
	pending, err := s.store.PendingTOTP(ctx, orgID, userID)
	if errs.Is(err, errs.NotFound) || (err == nil && now.Sub(pending.CreatedAt) > totpPendingTTL) {
		return errs.E(errs.NotFound, MsgTOTPEnrolmentExpired)
	}
	if err != nil {
		return err
	}
	step, err := s.checkTOTP(ctx, pending, code, now)
	if err != nil {
		return err
	}
	_, err = s.store.ActivateTOTP(ctx, orgID, userID, pending.ID, step)
	return err
}

// VerifyTOTP checks a code from the user's active authenticator app at
// sign-in or step-up. A code is accepted for the current 30-second step and
// the one before or after it, and only once: its step must be later than the
// last accepted one, so the same code twice, or an older code after a newer
// one, is refused, even when two requests race. Every refusal, including a
// user without an app, is the same ErrCodeInvalid (errs.Invalid on field
// "code"). A key provider that is down is errs.Unavailable.
func (s *Service) VerifyTOTP(ctx context.Context, orgID, userID, code string) (err error) {
	defer errs.Op(&err, "mfa.VerifyTOTP")
	now := s.now()
	active, err := s.store.ActiveTOTP(ctx, orgID, userID)
	if errs.Is(err, errs.NotFound) {
		return codeInvalid("no active authenticator")
	}
	if err != nil {
		return err
	}
	step, err := s.checkTOTP(ctx, active, code, now)
	if err != nil {
		return err
	}
	if step <= active.LastStep {
		return codeInvalid("replayed step")
	}
	err = s.store.AdvanceTOTPStep(ctx, orgID, userID, active.ID, step)
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return codeInvalid("replayed step (concurrent)")
	}
	return err
}

// RemoveTOTP removes the user's authenticator app, active or pending.
// errs.NotFound when there is none.
func (s *Service) RemoveTOTP(ctx context.Context, orgID, userID string) (err error) {
	defer errs.Op(&err, "mfa.RemoveTOTP")
	return s.store.DeleteTOTP(ctx, orgID, userID)
}

// checkTOTP opens c's secret and returns the step whose code is code.
func (s *Service) checkTOTP(ctx context.Context, c TOTPCredential, code string, now time.Time) (int64, error) {
	code, ok := normalizeDigits(code, TOTPDigits)
	if !ok {
		return 0, codeInvalid("malformed code")
	}
	key, err := s.sealer.Open(ctx, c.Secret, totpAAD(c.OrgID, c.ID))
	if err != nil {
		return 0, err
	}
	defer clear(key)
	step, ok := matchTOTP(key, code, now)
	if !ok {
		return 0, codeInvalid("wrong or expired code")
	}
	return step, nil
}

// totpAAD binds a sealed secret to its row.
func totpAAD(orgID, id string) phi.AAD {
	return phi.AAD{OrgID: orgID, Table: "totp_credentials", Column: "secret", RowID: id}
}
