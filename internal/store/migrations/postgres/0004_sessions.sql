-- Browser sessions and personal API tokens (see internal/session). Only the
-- SHA-256 of a token is stored: a copy of this table signs nobody in.

CREATE TABLE sessions (
    id              TEXT COLLATE "C" PRIMARY KEY,
    token_hash      BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    org_id          TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    created_at      TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    idle_timeout_ms BIGINT NOT NULL CHECK (idle_timeout_ms > 0),
    expires_at      TIMESTAMPTZ NOT NULL,
    auth_time       TIMESTAMPTZ NOT NULL,
    mfa_at          TIMESTAMPTZ,
    remembered      BOOLEAN NOT NULL,
    device_browser  TEXT NOT NULL CHECK (char_length(device_browser) <= 32),
    device_os       TEXT NOT NULL CHECK (char_length(device_os) <= 32),
    place           TEXT NOT NULL CHECK (char_length(place) <= 64),
    revoked_at      TIMESTAMPTZ,
    revoke_reason   TEXT NOT NULL CHECK (char_length(revoke_reason) <= 32),
    CHECK (expires_at > created_at),
    CHECK ((revoked_at IS NULL) = (revoke_reason = '')),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE INDEX sessions_org_user ON sessions (org_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    org_id       TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scopes       TEXT NOT NULL CHECK (char_length(scopes) BETWEEN 1 AND 1000), -- space-separated
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CHECK (expires_at > created_at),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE INDEX api_tokens_org_user ON api_tokens (org_id, user_id);
