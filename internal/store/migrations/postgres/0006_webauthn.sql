-- WebAuthn: registered security keys and passkeys, and the challenges of
-- ceremonies in progress. No PHI here: credential ids and public keys are
-- the authenticator's, the nickname is a device label the user chose.

CREATE TABLE webauthn_credentials (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    org_id             TEXT COLLATE "C" NOT NULL,
    user_id            TEXT COLLATE "C" NOT NULL,
    rp_id              TEXT COLLATE "C" NOT NULL CHECK (length(rp_id) BETWEEN 1 AND 253),
    -- The authenticator's id for the credential; logins look it up.
    credential_id      BYTEA NOT NULL UNIQUE CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    public_key         BYTEA NOT NULL CHECK (octet_length(public_key) >= 1),
    sign_count         BIGINT NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    aaguid             BYTEA NOT NULL CHECK (octet_length(aaguid) = 16),
    -- Comma-separated, as reported at registration ("usb,nfc").
    transports         TEXT NOT NULL,
    flags              SMALLINT NOT NULL CHECK (flags BETWEEN 0 AND 255),
    attestation_type   TEXT NOT NULL,
    attestation_format TEXT NOT NULL,
    nickname           TEXT NOT NULL CHECK (char_length(nickname) BETWEEN 1 AND 64),
    -- Set once a login saw a signature counter that did not increase.
    clone_warning      BOOLEAN NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    last_used_at       TIMESTAMPTZ,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE INDEX webauthn_credentials_user ON webauthn_credentials (org_id, user_id);

-- One pending challenge per session and ceremony; Finish deletes it.
-- session_key is a SHA-256 of the session id, never the session token.
CREATE TABLE webauthn_challenges (
    session_key TEXT COLLATE "C" NOT NULL CHECK (length(session_key) = 64),
    ceremony    TEXT COLLATE "C" NOT NULL CHECK (ceremony IN ('registration', 'login', 'discoverable_login')),
    data        BYTEA NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_key, ceremony)
);

CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
