-- Browser sessions and personal API tokens (see internal/session). Only the
-- SHA-256 of a token is stored: a copy of this table signs nobody in.
-- Timestamps are the fixed-width RFC 3339 UTC text of timecodec.go.

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    token_hash      BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    org_id          TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    idle_timeout_ms INTEGER NOT NULL CHECK (idle_timeout_ms > 0),
    expires_at      TEXT NOT NULL,
    auth_time       TEXT NOT NULL,
    mfa_at          TEXT,
    remembered      INTEGER NOT NULL CHECK (remembered IN (0, 1)),
    device_browser  TEXT NOT NULL CHECK (length(device_browser) <= 32),
    device_os       TEXT NOT NULL CHECK (length(device_os) <= 32),
    place           TEXT NOT NULL CHECK (length(place) <= 64),
    revoked_at      TEXT,
    revoke_reason   TEXT NOT NULL CHECK (length(revoke_reason) <= 32),
    CHECK (expires_at > created_at),
    CHECK ((revoked_at IS NULL) = (revoke_reason = '')),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

CREATE INDEX sessions_org_user ON sessions (org_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    scopes       TEXT NOT NULL CHECK (length(scopes) BETWEEN 1 AND 1000), -- space-separated
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    CHECK (expires_at > created_at),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

CREATE INDEX api_tokens_org_user ON api_tokens (org_id, user_id);
