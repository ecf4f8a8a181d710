-- Accounts: the one-time setup of the first practice, passwords, invitations and
-- single-use tokens (email verification, magic links, password resets). Tokens
-- are stored only as SHA-256 hashes; invitation emails are phi ciphertexts with
-- blind indexes.

CREATE TABLE setup_tokens (
    token_hash BLOB PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    -- Progress of a setup that failed half-way, so a retry continues it.
    org_id     TEXT,
    admin_id   TEXT
) STRICT;

CREATE TABLE user_passwords (
    user_id    TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    hash       TEXT NOT NULL CHECK (hash LIKE '$argon2id$%'),
    updated_at TEXT NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    role        TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    email       BLOB NOT NULL,
    email_index BLOB NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    user_id     TEXT,
    revoked_at  TEXT,
    FOREIGN KEY (org_id, invited_by) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX invitations_org ON invitations (org_id, created_at);

CREATE TABLE one_time_tokens (
    token_hash BLOB PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'magic_link', 'reset_password')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX one_time_tokens_user ON one_time_tokens (org_id, user_id);
