-- The tamper-evident audit log (see internal/audit and docs/audit.md).
-- One hash chain per practice: audit_entries keyed by (org_id, seq), signed
-- checkpoints, and the head of each chain, which every append locks with
-- SELECT ... FOR UPDATE semantics so that two instances can never fork a
-- chain. org_id has no foreign key on purpose: recording an event must never
-- depend on other rows, and audit rows outlive everything else.
-- Optional text fields hold '' rather than NULL, as the chain hashes them.

CREATE TABLE audit_entries (
    org_id        TEXT COLLATE "C" NOT NULL CHECK (char_length(org_id) BETWEEN 1 AND 128),
    seq           BIGINT NOT NULL CHECK (seq >= 1),
    created_at    TIMESTAMPTZ NOT NULL,
    actor_id      TEXT COLLATE "C" NOT NULL CHECK (char_length(actor_id) BETWEEN 1 AND 128),
    actor_role    TEXT NOT NULL CHECK (char_length(actor_role) BETWEEN 1 AND 64),
    action        TEXT COLLATE "C" NOT NULL CHECK (char_length(action) BETWEEN 1 AND 64),
    resource_type TEXT NOT NULL CHECK (char_length(resource_type) <= 64),
    resource_id   TEXT COLLATE "C" NOT NULL CHECK (char_length(resource_id) <= 128),
    patient_id    TEXT COLLATE "C" NOT NULL CHECK (char_length(patient_id) <= 128),
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    purpose       TEXT NOT NULL CHECK (purpose IN ('normal', 'break_glass', 'system')),
    category      TEXT NOT NULL CHECK (category IN ('health', 'authentication', 'administration', 'payment', 'security')),
    ip            TEXT NOT NULL CHECK (char_length(ip) <= 64),
    user_agent    TEXT NOT NULL CHECK (octet_length(user_agent) <= 512),
    request_id    TEXT NOT NULL CHECK (char_length(request_id) <= 128),
    fields        TEXT NOT NULL, -- field names joined by ','
    data_hash     TEXT NOT NULL CHECK (data_hash = '' OR char_length(data_hash) = 64),
    prev_hash     BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash          BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (org_id, seq)
);

-- Search: by actor, by patient ("who accessed my record"), by action, by time.
CREATE INDEX audit_entries_actor ON audit_entries (org_id, actor_id, seq);
CREATE INDEX audit_entries_patient ON audit_entries (org_id, patient_id, seq) WHERE patient_id <> '';
CREATE INDEX audit_entries_action ON audit_entries (org_id, action, seq);
CREATE INDEX audit_entries_time ON audit_entries (org_id, created_at);

CREATE TABLE audit_checkpoints (
    org_id     TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL CHECK (seq >= 1),
    hash       BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    key_id     TEXT NOT NULL CHECK (char_length(key_id) = 16),
    public_key BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    signature  BYTEA NOT NULL CHECK (octet_length(signature) = 64),
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE audit_heads (
    org_id         TEXT COLLATE "C" PRIMARY KEY,
    seq            BIGINT NOT NULL CHECK (seq >= 0),
    hash           BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    checkpoint_seq BIGINT NOT NULL CHECK (checkpoint_seq >= 0),
    checkpoint_at  TIMESTAMPTZ
);

-- Append-only. Updates and TRUNCATE are always refused; deletes only inside
-- the retention purge's transaction, which runs
-- SET LOCAL astral.audit_purge = 'on' first. The app role can set that too,
-- so the trigger stops mistakes and injected SQL; the grants in
-- docs/audit.md (no UPDATE or DELETE for the app role) are the real barrier.
CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('astral.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
