-- The keystore: wrapped data keys (DEKs), in a database of their own so that
-- destroying a key (crypto-shredding) also erases it from the data's backups.
-- Timestamps are TEXT in the fixed-width RFC 3339 UTC form of timecodec.go.
--
-- patient_id is '' rather than NULL for practice and index keys, so the
-- unique index below treats every owner alike on both engines (NULLs never
-- collide in a unique index).
CREATE TABLE data_keys (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id       TEXT NOT NULL CHECK (length(org_id) BETWEEN 1 AND 64),
    patient_id   TEXT NOT NULL CHECK (length(patient_id) <= 64),
    kind         TEXT NOT NULL CHECK (kind IN ('patient', 'practice', 'index')),
    kek_version  INTEGER NOT NULL CHECK (kek_version >= 1),
    wrapped      BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    rewrapped_at TEXT,
    destroyed_at TEXT,
    -- Only patient keys name a patient.
    CHECK ((kind = 'patient') = (patient_id <> '')),
    -- A destroyed key keeps its row (a tombstone, so its id is never reused)
    -- but no key material.
    CHECK ((destroyed_at IS NULL) = (length(wrapped) > 0))
) STRICT;

-- One live key per owner and kind; destroyed keys do not count, so an owner
-- may get a new key after a shred.
CREATE UNIQUE INDEX data_keys_live_owner
    ON data_keys (org_id, patient_id, kind) WHERE destroyed_at IS NULL;
-- Rewrap walks the live keys below a KEK version.
CREATE INDEX data_keys_live_version
    ON data_keys (kek_version, id) WHERE destroyed_at IS NULL;
