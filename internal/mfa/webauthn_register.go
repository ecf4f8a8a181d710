package mfa

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/astralcore/astral/internal/errs"
)

// maxWebAuthnResponse bounds the authenticator response a Finish call
// parses. Real ones are a few kilobytes; handlers should cap bodies too.
const maxWebAuthnResponse = 64 << 10

// BeginRegistration starts registering a security key or passkey as a second
// factor for user, in session sessionID, and returns the creation options
// for navigator.credentials.create as JSON. A discoverable credential (a
// passkey) is preferred but not required, and so is user verification. The
// options exclude the user's existing credentials, so one authenticator is
// not registered twice. Beginning again replaces the session's pending
// registration.
//
// The options hold the user's name (PHI) for their own browser: send them
// with Cache-Control: no-store. An empty user id or practice is
// errs.Invalid.
func (w *WebAuthn) BeginRegistration(ctx context.Context, sessionID string, user WebAuthnUser) (_ []byte, err error) {
	defer errs.Op(&err, "mfa.BeginRegistration")
	return w.beginRegistration(ctx, sessionID, user, protocol.ResidentKeyRequirementPreferred, protocol.VerificationPreferred)
}

// BeginPasskeyRegistration is BeginRegistration for a passkey meant for
// passwordless login: the credential must be discoverable and the
// authenticator must verify the user (PIN or biometrics), or
// FinishRegistration refuses it.
func (w *WebAuthn) BeginPasskeyRegistration(ctx context.Context, sessionID string, user WebAuthnUser) (_ []byte, err error) {
	defer errs.Op(&err, "mfa.BeginPasskeyRegistration")
	return w.beginRegistration(ctx, sessionID, user, protocol.ResidentKeyRequirementRequired, protocol.VerificationRequired)
}

func (w *WebAuthn) beginRegistration(ctx context.Context, sessionID string, user WebAuthnUser,
	rk protocol.ResidentKeyRequirement, uv protocol.UserVerificationRequirement) ([]byte, error) {
	if err := checkWebAuthnUser(sessionID, user); err != nil {
		return nil, err
	}
	recs, err := w.store.WebAuthnCredentials(ctx, user.OrgID, user.ID)
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(recs))
	for _, r := range w.usable(recs) {
		c := libraryCredential(r)
		exclude = append(exclude, c.Descriptor())
	}
	requireRK := rk == protocol.ResidentKeyRequirementRequired
	creation, session, err := w.wa.BeginRegistration(w.account(user, nil),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        rk,
			RequireResidentKey: &requireRK,
			UserVerification:   uv,
		}),
		webauthn.WithExclusions(exclude),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "")
	}
	err = w.putChallenge(ctx, sessionID, WebAuthnRegistration, webAuthnPending{Session: *session, UserID: user.ID, OrgID: user.OrgID})
	if err != nil {
		return nil, err
	}
	return marshalWebAuthnOptions(creation)
}

// FinishRegistration verifies the authenticator's response (the JSON of the
// PublicKeyCredential that navigator.credentials.create returned) against
// the registration that session sessionID began for user, and stores the
// new credential under nickname.
//
// A bad nickname is errs.Invalid on field "nickname" and leaves the pending
// registration in place. Otherwise the pending challenge is used up, and:
// none pending, an expired one, or one begun for another user is
// errs.Invalid "error.webauthn_expired"; a response that does not verify
// (wrong challenge, origin or RP ID, no user presence, no user verification
// when required, malformed) is errs.Invalid "error.webauthn_failed"; a
// credential that is already registered is errs.Conflict
// "error.webauthn_already_registered".
func (w *WebAuthn) FinishRegistration(ctx context.Context, sessionID string, user WebAuthnUser, responseJSON []byte, nickname string) (_ WebAuthnCredential, err error) {
	defer errs.Op(&err, "mfa.FinishRegistration")
	if nickname, err = cleanWebAuthnNickname(nickname); err != nil {
		return WebAuthnCredential{}, err
	}
	if err := checkWebAuthnUser(sessionID, user); err != nil {
		return WebAuthnCredential{}, err
	}
	p, err := w.takeChallenge(ctx, sessionID, WebAuthnRegistration, errs.Invalid)
	if err != nil {
		return WebAuthnCredential{}, err
	}
	if p.UserID != user.ID || p.OrgID != user.OrgID {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Invalid, msgWebAuthnExpired, WebAuthnRegistration, user.ID,
			errors.New("challenge was begun for another user"))
	}
	if len(responseJSON) > maxWebAuthnResponse {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Invalid, msgWebAuthnFailed, WebAuthnRegistration, user.ID,
			errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(responseJSON)
	if err != nil {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Invalid, msgWebAuthnFailed, WebAuthnRegistration, user.ID, err)
	}
	cred, err := w.wa.CreateCredential(w.account(user, nil), p.Session, parsed)
	if err != nil {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Invalid, msgWebAuthnFailed, WebAuthnRegistration, user.ID, err)
	}
	transports := make([]string, len(cred.Transport))
	for i, t := range cred.Transport {
		transports[i] = string(t)
	}
	saved, err := w.store.CreateWebAuthnCredential(ctx, WebAuthnRecord{
		WebAuthnCredential: WebAuthnCredential{
			OrgID:      user.OrgID,
			UserID:     user.ID,
			Nickname:   nickname,
			Transports: transports,
			Synced:     cred.Flags.BackupEligible,
		},
		RPID:              p.Session.GetRelyingPartyID(w.rpID),
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		SignCount:         cred.Authenticator.SignCount,
		AAGUID:            cred.Authenticator.AAGUID,
		Flags:             uint8(cred.Flags.ProtocolValue()),
		AttestationType:   cred.AttestationType,
		AttestationFormat: cred.AttestationFormat,
	})
	if errs.Is(err, errs.Conflict) {
		return WebAuthnCredential{}, &errs.Error{Kind: errs.Conflict, Message: msgWebAuthnDuplicate, Err: err}
	}
	if err != nil {
		return WebAuthnCredential{}, err
	}
	w.log.InfoContext(ctx, "webauthn: credential registered", "org_id", user.OrgID, "user_id", user.ID,
		"credential", saved.ID, "user_verified", cred.Flags.UserVerified, "synced", saved.Synced)
	return saved.WebAuthnCredential, nil
}

// account adapts user and their usable credentials for the library.
func (w *WebAuthn) account(user WebAuthnUser, recs []WebAuthnRecord) webAuthnAccount {
	a := webAuthnAccount{id: []byte(user.ID), name: user.Name.Reveal()}
	for _, r := range recs {
		a.creds = append(a.creds, libraryCredential(r))
	}
	return a
}

// checkWebAuthnUser rejects a ceremony without a session or without a user
// id and practice: programming errors, reported as errs.Invalid.
func checkWebAuthnUser(sessionID string, user WebAuthnUser) error {
	if sessionID == "" || user.ID == "" || user.OrgID == "" || len(user.ID) > 64 {
		return errs.E(errs.Invalid, "error.invalid")
	}
	return nil
}

// marshalWebAuthnOptions encodes ceremony options for the browser.
func marshalWebAuthnOptions(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "mfa.marshalWebAuthnOptions")
	}
	return b, nil
}
