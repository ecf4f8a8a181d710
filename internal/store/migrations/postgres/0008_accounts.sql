-- Accounts: the one-time setup of the first practice, passwords, invitations and
-- single-use tokens (email verification, magic links, password resets). Tokens
-- are stored only as SHA-256 hashes; invitation emails are phi ciphertexts with
-- blind indexes.

CREATE TABLE setup_tokens (
    token_hash BYTEA PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    -- Progress of a setup that failed half-way, so a retry continues it.
    org_id     TEXT COLLATE "C",
    admin_id   TEXT COLLATE "C"
);

CREATE TABLE user_passwords (
    user_id    TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    hash       TEXT NOT NULL CHECK (hash LIKE '$argon2id$%'),
    updated_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE TABLE invitations (
    id          TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    role        TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    email       BYTEA NOT NULL,
    email_index BYTEA NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    invited_by  TEXT COLLATE "C" NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    user_id     TEXT COLLATE "C",
    revoked_at  TIMESTAMPTZ,
    FOREIGN KEY (org_id, invited_by) REFERENCES users (org_id, id)
);
CREATE INDEX invitations_org ON invitations (org_id, created_at);

CREATE TABLE one_time_tokens (
    token_hash BYTEA PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'magic_link', 'reset_password')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (org_id, user_id);
