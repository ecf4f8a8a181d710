package mfa

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/astralcore/astral/internal/errs"
)

// WebAuthnCredentials lists the credentials of user userID in practice
// orgID, oldest first, for their list of sign-in methods. It returns an empty
// slice when there are none.
func (w *WebAuthn) WebAuthnCredentials(ctx context.Context, orgID, userID string) (_ []WebAuthnCredential, err error) {
	defer errs.Op(&err, "mfa.WebAuthnCredentials")
	recs, err := w.store.WebAuthnCredentials(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	out := make([]WebAuthnCredential, len(recs))
	for i, r := range recs {
		out[i] = r.WebAuthnCredential
	}
	return out, nil
}

// RenameWebAuthnCredential sets the nickname of credential id of user
// userID. A nickname that is empty after trimming, longer than
// MaxWebAuthnNickname characters or holding control characters is
// errs.Invalid on field "nickname"; a credential that is missing or not the
// user's is errs.NotFound.
func (w *WebAuthn) RenameWebAuthnCredential(ctx context.Context, orgID, userID, id, nickname string) (_ WebAuthnCredential, err error) {
	defer errs.Op(&err, "mfa.RenameWebAuthnCredential")
	nickname, err = cleanWebAuthnNickname(nickname)
	if err != nil {
		return WebAuthnCredential{}, err
	}
	r, err := w.store.RenameWebAuthnCredential(ctx, orgID, userID, id, nickname)
	return r.WebAuthnCredential, err
}

// DeleteWebAuthnCredential removes credential id of user userID; it can no
// longer log in. A credential that is missing or not the user's is
// errs.NotFound. Whether the user may drop their last second factor is the
// caller's decision (see WebAuthnCount).
func (w *WebAuthn) DeleteWebAuthnCredential(ctx context.Context, orgID, userID, id string) (err error) {
	defer errs.Op(&err, "mfa.DeleteWebAuthnCredential")
	if err := w.store.DeleteWebAuthnCredential(ctx, orgID, userID, id); err != nil {
		return err
	}
	w.log.InfoContext(ctx, "webauthn: credential deleted", "org_id", orgID, "user_id", userID, "credential", id)
	return nil
}

// WebAuthnCount returns how many credentials user userID has, for the
// summary of their second factors.
func (w *WebAuthn) WebAuthnCount(ctx context.Context, orgID, userID string) (_ int, err error) {
	defer errs.Op(&err, "mfa.WebAuthnCount")
	return w.store.CountWebAuthnCredentials(ctx, orgID, userID)
}

// cleanWebAuthnNickname trims a nickname and checks it; see
// RenameWebAuthnCredential.
func cleanWebAuthnNickname(s string) (string, error) {
	s = strings.TrimSpace(s)
	field := func(msg string, args ...any) error {
		return errs.InvalidFields(errs.FieldError{Field: "nickname", Message: msg, Args: args})
	}
	switch {
	case s == "":
		return "", field("field.required")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return "", field("field.invalid_format")
	case utf8.RuneCountInString(s) > MaxWebAuthnNickname:
		return "", field("field.too_long", MaxWebAuthnNickname)
	}
	return s, nil
}

// webAuthnAccount adapts a user and their credentials to the library's
// webauthn.User.
type webAuthnAccount struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (a webAuthnAccount) WebAuthnID() []byte                         { return a.id }
func (a webAuthnAccount) WebAuthnName() string                       { return a.name }
func (a webAuthnAccount) WebAuthnDisplayName() string                { return a.name }
func (a webAuthnAccount) WebAuthnCredentials() []webauthn.Credential { return a.creds }

// libraryCredential rebuilds the library's credential record from ours.
func libraryCredential(r WebAuthnRecord) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(r.Transports))
	for i, t := range r.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                r.CredentialID,
		PublicKey:         r.PublicKey,
		AttestationType:   r.AttestationType,
		AttestationFormat: r.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(r.Flags)),
		Authenticator: webauthn.Authenticator{
			AAGUID:       r.AAGUID,
			SignCount:    r.SignCount,
			CloneWarning: r.CloneWarning,
		},
	}
}

// usable keeps the records registered with this relying party: a credential
// made for another RP ID (before ASTRAL_PUBLIC_URL changed) can never sign
// for this one, so offering it would only confuse the browser.
func (w *WebAuthn) usable(recs []WebAuthnRecord) []WebAuthnRecord {
	out := recs[:0:0]
	for _, r := range recs {
		if r.RPID == w.rpID {
			out = append(out, r)
		}
	}
	return out
}
