-- Practices, their users, and the relationships that decide who sees whom.
-- Timestamps are TEXT in the fixed-width RFC 3339 UTC form of timecodec.go,
-- so text order is time order. IDs are UUIDv7 text made by the store.
-- STRICT tables reject values of the wrong type instead of coercing them.

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug       TEXT NOT NULL UNIQUE CHECK (
                   length(slug) BETWEEN 3 AND 63
                   AND slug NOT GLOB '*[^a-z0-9-]*'
                   AND slug NOT GLOB '-*' AND slug NOT GLOB '*-'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    role       TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    status     TEXT NOT NULL CHECK (status IN ('active', 'deactivated')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    -- The target of the composite foreign keys below, and the org_id index.
    UNIQUE (org_id, id)
) STRICT;

-- The composite foreign keys make a link between users of two practices
-- impossible in the database itself, whatever the Go code does.
CREATE TABLE care_relationships (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    therapist_id TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    is_primary   INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    CHECK (therapist_id <> patient_id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    FOREIGN KEY (org_id, therapist_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, patient_id) REFERENCES users (org_id, id)
) STRICT;

CREATE INDEX care_relationships_org_therapist ON care_relationships (org_id, therapist_id);
CREATE INDEX care_relationships_org_patient ON care_relationships (org_id, patient_id);
-- One active relationship per pair; an ended one may be started again.
CREATE UNIQUE INDEX care_relationships_active_pair
    ON care_relationships (org_id, therapist_id, patient_id) WHERE ended_at IS NULL;
-- At most one active primary therapist per patient.
CREATE UNIQUE INDEX care_relationships_active_primary
    ON care_relationships (org_id, patient_id) WHERE is_primary = 1 AND ended_at IS NULL;

CREATE TABLE supervisions (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    supervisor_id TEXT NOT NULL,
    therapist_id  TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    CHECK (supervisor_id <> therapist_id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    FOREIGN KEY (org_id, supervisor_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, therapist_id) REFERENCES users (org_id, id)
) STRICT;

CREATE INDEX supervisions_org_supervisor ON supervisions (org_id, supervisor_id);
CREATE INDEX supervisions_org_therapist ON supervisions (org_id, therapist_id);
CREATE UNIQUE INDEX supervisions_active_pair
    ON supervisions (org_id, supervisor_id, therapist_id) WHERE ended_at IS NULL;
