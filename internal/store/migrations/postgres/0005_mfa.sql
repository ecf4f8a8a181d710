-- Second factors: authenticator apps (TOTP), backup codes and e-mail one-time
-- codes. No factor secret is stored in the clear: a TOTP secret is a phi
-- ciphertext sealed under the user's data key and bound to its row, a backup
-- code is an argon2id hash (PHC string) behind a two-character lookup id, and
-- an e-mail code is a keyed HMAC bound to its row id.

-- A user has at most one active and at most one pending (being enrolled)
-- credential. last_step is the last accepted RFC 6238 time step: a code is
-- accepted only for a later step, which makes every code single-use.
CREATE TABLE totp_credentials (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    secret       BYTEA NOT NULL,
    last_step    BIGINT NOT NULL CHECK (last_step >= 0),
    created_at   TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE UNIQUE INDEX totp_credentials_active ON totp_credentials (org_id, user_id) WHERE confirmed_at IS NOT NULL;
CREATE UNIQUE INDEX totp_credentials_pending ON totp_credentials (org_id, user_id) WHERE confirmed_at IS NULL;

CREATE TABLE backup_codes (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    lookup     TEXT COLLATE "C" NOT NULL CHECK (char_length(lookup) = 2),
    hash       TEXT NOT NULL CHECK (hash LIKE '$argon2id$%'),
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    UNIQUE (org_id, user_id, lookup)
);

-- One code per user: issuing a new one replaces the old.
CREATE TABLE email_codes (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    code_hash  BYTEA NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    UNIQUE (org_id, user_id)
);
