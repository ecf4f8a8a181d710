package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/astralcore/astral/internal/errs"
)

// webAuthnPending is what a Begin call leaves for its Finish call: the
// library's session data and, for ceremonies about a known user, whom it
// was begun for.
type webAuthnPending struct {
	Session webauthn.SessionData `json:"session"`
	UserID  string               `json:"user_id,omitempty"`
	OrgID   string               `json:"org_id,omitempty"`
}

// putChallenge stores p as the session's pending challenge for ceremony,
// replacing any earlier one, valid for WebAuthnChallengeTTL.
func (w *WebAuthn) putChallenge(ctx context.Context, sessionID string, ceremony WebAuthnCeremony, p webAuthnPending) error {
	data, err := json.Marshal(p)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "mfa.putChallenge")
	}
	return w.store.PutWebAuthnChallenge(ctx, WebAuthnChallenge{
		SessionKey: webAuthnSessionKey(sessionID),
		Ceremony:   ceremony,
		Data:       data,
		ExpiresAt:  w.now().Add(WebAuthnChallengeTTL),
	})
}

// takeChallenge removes and returns the session's pending challenge for
// ceremony. A missing one (never begun, already used, or begun by another
// session) or an expired one is refused with kind.
func (w *WebAuthn) takeChallenge(ctx context.Context, sessionID string, ceremony WebAuthnCeremony, kind errs.Kind) (webAuthnPending, error) {
	c, err := w.store.TakeWebAuthnChallenge(ctx, webAuthnSessionKey(sessionID), ceremony)
	if errs.Is(err, errs.NotFound) {
		return webAuthnPending{}, w.refuse(ctx, kind, msgWebAuthnExpired, ceremony, "", errors.New("no pending challenge for this session"))
	}
	if err != nil {
		return webAuthnPending{}, err
	}
	if !w.now().Before(c.ExpiresAt) {
		return webAuthnPending{}, w.refuse(ctx, kind, msgWebAuthnExpired, ceremony, "", errors.New("challenge expired"))
	}
	var p webAuthnPending
	if err := json.Unmarshal(c.Data, &p); err != nil {
		return webAuthnPending{}, errs.Wrap(err, errs.Internal, "mfa.takeChallenge")
	}
	return p, nil
}

// webAuthnLongToken matches challenges (and hashes) in the library's
// reasons: a challenge is dead once taken, but logs hold no tokens at all.
var webAuthnLongToken = regexp.MustCompile(`[A-Za-z0-9_-]{40,}`)

// refuse logs a refused ceremony and returns the error for the client: kind
// with a safe message, the reason kept as the private cause. The library's
// reasons name flags, origins and hashes, never PHI.
func (w *WebAuthn) refuse(ctx context.Context, kind errs.Kind, msg string, ceremony WebAuthnCeremony, userID string, cause error) error {
	reason := cause.Error()
	var pe *protocol.Error
	if errors.As(cause, &pe) && pe.DevInfo != "" {
		reason += ": " + pe.DevInfo
	}
	reason = webAuthnLongToken.ReplaceAllString(reason, "[redacted]")
	w.log.InfoContext(ctx, "webauthn: ceremony refused", "ceremony", string(ceremony), "user_id", userID, "reason", reason)
	return &errs.Error{Kind: kind, Message: msg, Err: cause}
}

// DeleteExpiredWebAuthnChallenges deletes the challenges of ceremonies that
// were begun but never finished and have expired, and returns how many. A
// periodic job calls it; expired challenges are refused whether or not it
// runs.
func (w *WebAuthn) DeleteExpiredWebAuthnChallenges(ctx context.Context) (_ int64, err error) {
	defer errs.Op(&err, "mfa.DeleteExpiredWebAuthnChallenges")
	return w.store.DeleteExpiredWebAuthnChallenges(ctx, w.now())
}
