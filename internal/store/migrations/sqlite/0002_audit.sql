-- The tamper-evident audit log (see internal/audit and docs/audit.md).
-- One hash chain per practice: audit_entries keyed by (org_id, seq), signed
-- checkpoints, and the head of each chain, which appends lock. org_id has no
-- foreign key on purpose: recording an event must never depend on other
-- rows, and audit rows outlive everything else.
-- Optional text fields hold '' rather than NULL, as the chain hashes them.

CREATE TABLE audit_entries (
    org_id        TEXT NOT NULL CHECK (length(org_id) BETWEEN 1 AND 128),
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    created_at    TEXT NOT NULL,
    actor_id      TEXT NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 128),
    actor_role    TEXT NOT NULL CHECK (length(actor_role) BETWEEN 1 AND 64),
    action        TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    resource_type TEXT NOT NULL CHECK (length(resource_type) <= 64),
    resource_id   TEXT NOT NULL CHECK (length(resource_id) <= 128),
    patient_id    TEXT NOT NULL CHECK (length(patient_id) <= 128),
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    purpose       TEXT NOT NULL CHECK (purpose IN ('normal', 'break_glass', 'system')),
    category      TEXT NOT NULL CHECK (category IN ('health', 'authentication', 'administration', 'payment', 'security')),
    ip            TEXT NOT NULL CHECK (length(ip) <= 64),
    user_agent    TEXT NOT NULL CHECK (length(CAST(user_agent AS BLOB)) <= 512),
    request_id    TEXT NOT NULL CHECK (length(request_id) <= 128),
    fields        TEXT NOT NULL, -- field names joined by ','
    data_hash     TEXT NOT NULL CHECK (data_hash = '' OR length(data_hash) = 64),
    prev_hash     BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash          BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (org_id, seq)
) STRICT, WITHOUT ROWID;

-- Search: by actor, by patient ("who accessed my record"), by action, by time.
CREATE INDEX audit_entries_actor ON audit_entries (org_id, actor_id, seq);
CREATE INDEX audit_entries_patient ON audit_entries (org_id, patient_id, seq) WHERE patient_id <> '';
CREATE INDEX audit_entries_action ON audit_entries (org_id, action, seq);
CREATE INDEX audit_entries_time ON audit_entries (org_id, created_at);

CREATE TABLE audit_checkpoints (
    org_id     TEXT NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    hash       BLOB NOT NULL CHECK (length(hash) = 32),
    created_at TEXT NOT NULL,
    key_id     TEXT NOT NULL CHECK (length(key_id) = 16),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    signature  BLOB NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (org_id, seq)
) STRICT, WITHOUT ROWID;

-- The end of each chain. An append locks its row (SQLite's single writer
-- already serializes appends; the row matters for PostgreSQL).
CREATE TABLE audit_heads (
    org_id         TEXT PRIMARY KEY,
    seq            INTEGER NOT NULL CHECK (seq >= 0),
    hash           BLOB NOT NULL CHECK (length(hash) = 32),
    checkpoint_seq INTEGER NOT NULL CHECK (checkpoint_seq >= 0),
    checkpoint_at  TEXT
) STRICT;

-- Append-only. Updates are always refused; deletes only while the retention
-- purge has a row here, which it inserts and removes inside its own
-- transaction. SQLite has no privileges, so this stops mistakes and injected
-- SQL, not someone who can write the file; the hash chain and the signed
-- checkpoints are what detect that.
CREATE TABLE audit_purge_guard (
    id INTEGER PRIMARY KEY CHECK (id = 1)
) STRICT;

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;

CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard)
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard)
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
