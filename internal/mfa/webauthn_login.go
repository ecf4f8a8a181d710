package mfa

import (
	"bytes"
	"context"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/astralcore/astral/internal/errs"
)

// BeginLogin starts a second-factor login for user, who has already given
// their password in session sessionID, and returns the request options for
// navigator.credentials.get as JSON. The options allow only the user's own
// credentials and prefer user verification. A user without a credential is
// errs.NotFound "error.webauthn_no_credentials"; an empty user id or
// practice is errs.Invalid.
func (w *WebAuthn) BeginLogin(ctx context.Context, sessionID string, user WebAuthnUser) (_ []byte, err error) {
	defer errs.Op(&err, "mfa.BeginLogin")
	if err := checkWebAuthnUser(sessionID, user); err != nil {
		return nil, err
	}
	recs, err := w.store.WebAuthnCredentials(ctx, user.OrgID, user.ID)
	if err != nil {
		return nil, err
	}
	if recs = w.usable(recs); len(recs) == 0 {
		return nil, errs.E(errs.NotFound, msgWebAuthnNone)
	}
	assertion, session, err := w.wa.BeginLogin(w.account(user, recs),
		webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "")
	}
	err = w.putChallenge(ctx, sessionID, WebAuthnLogin, webAuthnPending{Session: *session, UserID: user.ID, OrgID: user.OrgID})
	if err != nil {
		return nil, err
	}
	return marshalWebAuthnOptions(assertion)
}

// FinishLogin verifies the authenticator's response (the JSON of the
// PublicKeyCredential that navigator.credentials.get returned) against the
// second-factor login that session sessionID began for user, records the
// use, and returns the credential that signed.
//
// The pending challenge is used up by any call. None pending (never begun,
// already finished, or begun in another session), an expired one, or one
// begun for another user is errs.Unauthenticated "error.webauthn_expired";
// a response that does not verify (wrong challenge, origin or RP ID, a
// credential not the user's, a bad signature, no user presence) is
// errs.Unauthenticated "error.webauthn_failed". A signature counter that
// did not increase is not an error: it is logged and sets the credential's
// CloneWarning.
func (w *WebAuthn) FinishLogin(ctx context.Context, sessionID string, user WebAuthnUser, responseJSON []byte) (_ WebAuthnCredential, err error) {
	defer errs.Op(&err, "mfa.FinishLogin")
	if err := checkWebAuthnUser(sessionID, user); err != nil {
		return WebAuthnCredential{}, err
	}
	p, err := w.takeChallenge(ctx, sessionID, WebAuthnLogin, errs.Unauthenticated)
	if err != nil {
		return WebAuthnCredential{}, err
	}
	if p.UserID != user.ID || p.OrgID != user.OrgID {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Unauthenticated, msgWebAuthnExpired, WebAuthnLogin, user.ID,
			errors.New("challenge was begun for another user"))
	}
	parsed, err := w.parseAssertion(ctx, WebAuthnLogin, user.ID, responseJSON)
	if err != nil {
		return WebAuthnCredential{}, err
	}
	recs, err := w.store.WebAuthnCredentials(ctx, user.OrgID, user.ID)
	if err != nil {
		return WebAuthnCredential{}, err
	}
	recs = w.usable(recs)
	cred, err := w.wa.ValidateLogin(w.account(user, recs), p.Session, parsed)
	if err != nil {
		return WebAuthnCredential{}, w.refuse(ctx, errs.Unauthenticated, msgWebAuthnFailed, WebAuthnLogin, user.ID, err)
	}
	for _, r := range recs {
		if bytes.Equal(r.CredentialID, cred.ID) {
			return w.recordUse(ctx, r, parsed, cred)
		}
	}
	// ValidateLogin only accepts one of the credentials it was given.
	return WebAuthnCredential{}, errs.E(errs.Internal, "")
}

// BeginDiscoverableLogin starts a passwordless login in session sessionID:
// the browser offers the passkeys it has for this site, and the
// authenticator must verify the user. It returns the request options for
// navigator.credentials.get as JSON.
func (w *WebAuthn) BeginDiscoverableLogin(ctx context.Context, sessionID string) (_ []byte, err error) {
	defer errs.Op(&err, "mfa.BeginDiscoverableLogin")
	if sessionID == "" {
		return nil, errs.E(errs.Invalid, "error.invalid")
	}
	assertion, session, err := w.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "")
	}
	if err := w.putChallenge(ctx, sessionID, WebAuthnDiscoverableLogin, webAuthnPending{Session: *session}); err != nil {
		return nil, err
	}
	return marshalWebAuthnOptions(assertion)
}

// FinishDiscoverableLogin verifies a passwordless login begun by session
// sessionID, records the use, and returns who logged in. The caller must
// still check that the user is active, and start a new session.
//
// Errors are as for FinishLogin, plus: a response without user
// verification, a credential that is not registered, or a user handle that
// does not own the credential is errs.Unauthenticated
// "error.webauthn_failed".
func (w *WebAuthn) FinishDiscoverableLogin(ctx context.Context, sessionID string, responseJSON []byte) (userID, orgID string, err error) {
	defer errs.Op(&err, "mfa.FinishDiscoverableLogin")
	if sessionID == "" {
		return "", "", errs.E(errs.Invalid, "error.invalid")
	}
	p, err := w.takeChallenge(ctx, sessionID, WebAuthnDiscoverableLogin, errs.Unauthenticated)
	if err != nil {
		return "", "", err
	}
	parsed, err := w.parseAssertion(ctx, WebAuthnDiscoverableLogin, "", responseJSON)
	if err != nil {
		return "", "", err
	}
	// The session already requires verification; checking the flag here
	// too keeps passwordless login two-factor whatever the session says.
	if !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return "", "", w.refuse(ctx, errs.Unauthenticated, msgWebAuthnFailed, WebAuthnDiscoverableLogin, "",
			errors.New("user verification required for passwordless login"))
	}
	var (
		rec       WebAuthnRecord
		lookupErr error // a store failure, kept apart from "no such credential"
	)
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		r, err := w.store.WebAuthnCredentialByCredentialID(ctx, rawID)
		switch {
		case errs.Is(err, errs.NotFound):
			return nil, errors.New("credential not registered")
		case err != nil:
			lookupErr = err
			return nil, errors.New("credential lookup failed")
		case r.RPID != w.rpID:
			return nil, errors.New("credential registered for another relying party")
		case string(userHandle) != r.UserID:
			return nil, errors.New("user handle does not own the credential")
		}
		rec = r
		return webAuthnAccount{id: []byte(r.UserID), creds: []webauthn.Credential{libraryCredential(r)}}, nil
	}
	_, cred, err := w.wa.ValidatePasskeyLogin(handler, p.Session, parsed)
	if lookupErr != nil {
		return "", "", lookupErr
	}
	if err != nil {
		return "", "", w.refuse(ctx, errs.Unauthenticated, msgWebAuthnFailed, WebAuthnDiscoverableLogin, rec.UserID, err)
	}
	if _, err := w.recordUse(ctx, rec, parsed, cred); err != nil {
		return "", "", err
	}
	return rec.UserID, rec.OrgID, nil
}

// parseAssertion parses an assertion response, refusing a malformed or
// oversized one.
func (w *WebAuthn) parseAssertion(ctx context.Context, ceremony WebAuthnCeremony, userID string, responseJSON []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(responseJSON) > maxWebAuthnResponse {
		return nil, w.refuse(ctx, errs.Unauthenticated, msgWebAuthnFailed, ceremony, userID, errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(responseJSON)
	if err != nil {
		return nil, w.refuse(ctx, errs.Unauthenticated, msgWebAuthnFailed, ceremony, userID, err)
	}
	return parsed, nil
}

// recordUse stores what a verified assertion changed on credential r. A
// signature counter that did not increase (and is not the zero that
// counter-less authenticators always send) is a clone signal: the W3C calls
// it "a signal, but not proof", so the login stands, the credential is
// marked and the event logged for review.
func (w *WebAuthn) recordUse(ctx context.Context, r WebAuthnRecord, parsed *protocol.ParsedCredentialAssertionData, cred *webauthn.Credential) (WebAuthnCredential, error) {
	counter := parsed.Response.AuthenticatorData.Counter
	clone := (counter != 0 || r.SignCount != 0) && counter <= r.SignCount
	if clone {
		w.log.WarnContext(ctx, "webauthn: signature counter did not increase; the authenticator may be cloned",
			"org_id", r.OrgID, "user_id", r.UserID, "credential", r.ID,
			"stored_count", r.SignCount, "received_count", counter)
	}
	saved, err := w.store.UpdateWebAuthnCredentialUse(ctx, r.OrgID, r.ID, WebAuthnUse{
		SignCount:    cred.Authenticator.SignCount,
		Flags:        uint8(cred.Flags.ProtocolValue()),
		CloneWarning: clone,
	})
	if err != nil {
		return WebAuthnCredential{}, err
	}
	return saved.WebAuthnCredential, nil
}
