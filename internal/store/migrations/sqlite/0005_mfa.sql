-- Second factors: authenticator apps (TOTP), backup codes and e-mail one-time
-- codes. No factor secret is stored in the clear: a TOTP secret is a phi
-- ciphertext sealed under the user's data key and bound to its row, a backup
-- code is an argon2id hash (PHC string) behind a two-character lookup id, and
-- an e-mail code is a keyed HMAC bound to its row id.

-- A user has at most one active and at most one pending (being enrolled)
-- credential. last_step is the last accepted RFC 6238 time step: a code is
-- accepted only for a later step, which makes every code single-use.
CREATE TABLE totp_credentials (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    secret       BLOB NOT NULL,
    last_step    INTEGER NOT NULL CHECK (last_step >= 0),
    created_at   TEXT NOT NULL,
    confirmed_at TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

CREATE UNIQUE INDEX totp_credentials_active ON totp_credentials (org_id, user_id) WHERE confirmed_at IS NOT NULL;
CREATE UNIQUE INDEX totp_credentials_pending ON totp_credentials (org_id, user_id) WHERE confirmed_at IS NULL;

CREATE TABLE backup_codes (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    lookup     TEXT NOT NULL CHECK (length(lookup) = 2),
    hash       TEXT NOT NULL CHECK (hash GLOB '$argon2id$*'),
    created_at TEXT NOT NULL,
    used_at    TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    UNIQUE (org_id, user_id, lookup)
) STRICT;

-- One code per user: issuing a new one replaces the old.
CREATE TABLE email_codes (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    code_hash  BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    created_at TEXT NOT NULL,
    used_at    TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    UNIQUE (org_id, user_id)
) STRICT;
