package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

// WebAuthnChallengeTTL is how long a ceremony's challenge stays valid between
// its Begin and Finish calls. It is also the timeout the browser is given.
const WebAuthnChallengeTTL = 5 * time.Minute

// MaxWebAuthnNickname is the longest credential nickname, in characters.
const MaxWebAuthnNickname = 64

// WebAuthnCeremony names the kind of ceremony a stored challenge belongs to.
// A session holds at most one pending challenge per ceremony.
type WebAuthnCeremony string

// The ceremonies. The store's schema allows exactly these values.
const (
	WebAuthnRegistration      WebAuthnCeremony = "registration" // also passkey registration
	WebAuthnLogin             WebAuthnCeremony = "login"
	WebAuthnDiscoverableLogin WebAuthnCeremony = "discoverable_login"
)

// Translation keys of the errors the WebAuthn ceremonies return.
const (
	// msgWebAuthnExpired: the challenge is missing, used, expired or belongs
	// to another session.
	msgWebAuthnExpired = "error.webauthn_expired"
	// msgWebAuthnFailed: the authenticator's response did not verify.
	msgWebAuthnFailed = "error.webauthn_failed"
	// msgWebAuthnNone: the user has no credential to log in with.
	msgWebAuthnNone = "error.webauthn_no_credentials"
	// msgWebAuthnDuplicate: the credential is already registered.
	msgWebAuthnDuplicate = "error.webauthn_already_registered"
)

// WebAuthnConfig describes the relying party: this deployment as
// authenticators see it. RPID is the registrable domain (the host of
// ASTRAL_PUBLIC_URL), RPName the name authenticators show, and Origins the
// exact origins ("https://care.example.org") whose pages may run a ceremony.
type WebAuthnConfig struct {
	RPID    string
	RPName  string
	Origins []string
}

// WebAuthnUser is the account a registration or second-factor login is for.
// ID is the user's id: its bytes are the WebAuthn user handle, which
// authenticators store and return in passwordless logins. Name is shown by
// the authenticator and the browser's account picker; it travels only in the
// options sent to the user's own browser.
type WebAuthnUser struct {
	ID    string
	OrgID string
	Name  phi.Text
}

// WebAuthnCredential is a registered authenticator as its owner sees it in
// the list of their sign-in methods.
type WebAuthnCredential struct {
	ID         string // row id, used to rename and delete
	OrgID      string
	UserID     string
	Nickname   string   // chosen by the user; shown only to them and admins
	Transports []string // "usb", "nfc", "ble", "internal", "hybrid", as reported
	// Synced reports a passkey that its provider backs up (BE flag).
	Synced bool
	// CloneWarning is set once a login saw a signature counter that did not
	// increase: a signal, not proof, that the key was copied.
	CloneWarning bool
	CreatedAt    time.Time
	LastUsedAt   *time.Time // nil until the first login
}

// WebAuthnRecord is a credential as the store keeps it: what its owner sees
// plus what the ceremonies need to verify its signatures.
type WebAuthnRecord struct {
	WebAuthnCredential
	RPID              string // the relying party it was registered with
	CredentialID      []byte // the authenticator's id for it, unique
	PublicKey         []byte // COSE_Key
	SignCount         uint32
	AAGUID            []byte // 16 bytes, the authenticator model
	Flags             uint8  // authenticator data flags, latest known
	AttestationType   string
	AttestationFormat string
}

// WebAuthnUse is what a successful login changes on a credential.
type WebAuthnUse struct {
	// SignCount is the new counter. The store keeps the larger of it and
	// the stored one, so concurrent logins cannot move it backwards.
	SignCount uint32
	Flags     uint8
	// CloneWarning, when true, sets the credential's warning; it never
	// clears it.
	CloneWarning bool
}

// WebAuthnChallenge is the server-side state of one pending ceremony.
// SessionKey is a hash of the session id, so the table never holds a
// session secret.
type WebAuthnChallenge struct {
	SessionKey string
	Ceremony   WebAuthnCeremony
	Data       []byte // JSON written and read only by this package
	ExpiresAt  time.Time
}

// WebAuthnStore is the storage the WebAuthn ceremonies need; internal/store
// implements it.
//
// Error contract: a missing row, or one of another practice or user than
// the arguments name, is errs.NotFound; a credential id that is already
// registered is errs.Conflict; bad input is errs.Invalid with field
// problems; anything else is errs.Internal. Lists return an empty slice.
type WebAuthnStore interface {
	// PutWebAuthnChallenge stores c, replacing any pending challenge of the
	// same session and ceremony.
	PutWebAuthnChallenge(ctx context.Context, c WebAuthnChallenge) error
	// TakeWebAuthnChallenge deletes the session's pending challenge for the
	// ceremony and returns it, expired or not; only one caller can take it.
	TakeWebAuthnChallenge(ctx context.Context, sessionKey string, ceremony WebAuthnCeremony) (WebAuthnChallenge, error)
	// DeleteExpiredWebAuthnChallenges deletes challenges that had expired
	// by t (ExpiresAt at or before t) and returns how many.
	DeleteExpiredWebAuthnChallenges(ctx context.Context, t time.Time) (int64, error)

	// CreateWebAuthnCredential stores a new credential; the store sets its
	// id and CreatedAt.
	CreateWebAuthnCredential(ctx context.Context, r WebAuthnRecord) (WebAuthnRecord, error)
	// WebAuthnCredentials lists a user's credentials, oldest first.
	WebAuthnCredentials(ctx context.Context, orgID, userID string) ([]WebAuthnRecord, error)
	// WebAuthnCredentialByCredentialID finds a credential of any practice
	// by the authenticator's credential id, for passwordless login.
	WebAuthnCredentialByCredentialID(ctx context.Context, credentialID []byte) (WebAuthnRecord, error)
	// UpdateWebAuthnCredentialUse records a successful login (see
	// WebAuthnUse) and sets LastUsedAt.
	UpdateWebAuthnCredentialUse(ctx context.Context, orgID, id string, use WebAuthnUse) (WebAuthnRecord, error)
	RenameWebAuthnCredential(ctx context.Context, orgID, userID, id, nickname string) (WebAuthnRecord, error)
	DeleteWebAuthnCredential(ctx context.Context, orgID, userID, id string) error
	CountWebAuthnCredentials(ctx context.Context, orgID, userID string) (int, error)
}

// WebAuthn runs WebAuthn registration and login ceremonies (SECURITY.md
// §2 item 10): 256-bit challenges from crypto/rand, kept server-side per
// session and ceremony, single-use and valid for WebAuthnChallengeTTL;
// origin, rpIdHash, user presence and, where required, user verification
// checked by go-webauthn; a signature counter that does not increase logged
// and recorded as a clone signal without failing the login.
//
// It does not authorize or audit: callers decide who may manage whose
// credentials, write the audit events, and check that a user who logs in is
// still active. It is safe for concurrent use.
type WebAuthn struct {
	wa    *webauthn.WebAuthn
	rpID  string
	store WebAuthnStore
	now   func() time.Time
	log   *slog.Logger
}

// NewWebAuthn returns the ceremonies for the relying party cfg. A missing or
// malformed RPID or origin is errs.Invalid; nil now means time.Now and a nil
// log discards.
func NewWebAuthn(cfg WebAuthnConfig, store WebAuthnStore, now func() time.Time, log *slog.Logger) (_ *WebAuthn, err error) {
	defer errs.Op(&err, "mfa.NewWebAuthn")
	if cfg.RPID == "" || len(cfg.Origins) == 0 || store == nil {
		return nil, errs.E(errs.Invalid, "error.invalid")
	}
	if cfg.RPName == "" {
		cfg.RPName = cfg.RPID
	}
	timeout := webauthn.TimeoutConfig{Timeout: WebAuthnChallengeTTL, TimeoutUVD: WebAuthnChallengeTTL}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPName,
		RPOrigins:             cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		// The library's own expiry check reads the wall clock; ours runs on
		// the injected clock (see takeChallenge), so Enforce stays off.
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "")
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebAuthn{wa: wa, rpID: cfg.RPID, store: store, now: now, log: log}, nil
}

// webAuthnSessionKey hashes a session id for the challenge table. Callers
// should pass the session's server-side id, but even a raw session token
// never reaches the database this way.
func webAuthnSessionKey(sessionID string) string {
	sum := sha256.Sum256([]byte("astral/webauthn-session\x00" + sessionID))
	return hex.EncodeToString(sum[:])
}
