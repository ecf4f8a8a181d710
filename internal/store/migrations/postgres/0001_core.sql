-- Practices, their users, and the relationships that decide who sees whom.
-- IDs are UUIDv7 text made by the store; COLLATE "C" keeps their order (and so
-- keyset pagination) byte-wise whatever the database's default collation.
-- Unique indexes all include org_id, the future distribution key.

CREATE TABLE organizations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    slug       TEXT COLLATE "C" NOT NULL UNIQUE
                   CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$'),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    role       TEXT NOT NULL CHECK (role IN ('patient', 'therapist', 'supervisor', 'staff', 'admin')),
    status     TEXT NOT NULL CHECK (status IN ('active', 'deactivated')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    -- The target of the composite foreign keys below, and the org_id index.
    UNIQUE (org_id, id)
);

-- The composite foreign keys make a link between users of two practices
-- impossible in the database itself, whatever the Go code does.
CREATE TABLE care_relationships (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    therapist_id TEXT COLLATE "C" NOT NULL,
    patient_id   TEXT COLLATE "C" NOT NULL,
    is_primary   BOOLEAN NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    CHECK (therapist_id <> patient_id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    FOREIGN KEY (org_id, therapist_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, patient_id) REFERENCES users (org_id, id)
);

CREATE INDEX care_relationships_org_therapist ON care_relationships (org_id, therapist_id);
CREATE INDEX care_relationships_org_patient ON care_relationships (org_id, patient_id);
-- One active relationship per pair; an ended one may be started again.
CREATE UNIQUE INDEX care_relationships_active_pair
    ON care_relationships (org_id, therapist_id, patient_id) WHERE ended_at IS NULL;
-- At most one active primary therapist per patient.
CREATE UNIQUE INDEX care_relationships_active_primary
    ON care_relationships (org_id, patient_id) WHERE is_primary AND ended_at IS NULL;

CREATE TABLE supervisions (
    id            TEXT COLLATE "C" PRIMARY KEY,
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    supervisor_id TEXT COLLATE "C" NOT NULL,
    therapist_id  TEXT COLLATE "C" NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    CHECK (supervisor_id <> therapist_id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    FOREIGN KEY (org_id, supervisor_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, therapist_id) REFERENCES users (org_id, id)
);

CREATE INDEX supervisions_org_supervisor ON supervisions (org_id, supervisor_id);
CREATE INDEX supervisions_org_therapist ON supervisions (org_id, therapist_id);
CREATE UNIQUE INDEX supervisions_active_pair
    ON supervisions (org_id, supervisor_id, therapist_id) WHERE ended_at IS NULL;
