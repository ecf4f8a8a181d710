-- The background job queue (internal/jobs). A job is queued until a worker
-- claims it, running while the worker's lease (locked_until) lasts, then done,
-- queued again for a retry, or dead. A worker that dies leaves its job running
-- with a lease that ends, after which another worker reclaims it. Workers claim
-- with FOR UPDATE SKIP LOCKED, so replicas never wait on each other's claims.
-- Payloads hold ids, never PHI; a failure records its error kind and
-- operation name, never a message.

CREATE TABLE jobs (
    id              TEXT COLLATE "C" PRIMARY KEY,
    -- NULL for a system job that works for no one practice.
    org_id          TEXT COLLATE "C" REFERENCES organizations (id),
    kind            TEXT COLLATE "C" NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    -- json, not jsonb: it keeps the payload's bytes as enqueued.
    payload         JSON NOT NULL CHECK (octet_length(payload::text) <= 65536),
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    run_at          TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    max_attempts    INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    locked_until    TIMESTAMPTZ,
    locked_by       TEXT COLLATE "C" CHECK (length(locked_by) BETWEEN 1 AND 200),
    last_error_kind TEXT COLLATE "C" CHECK (length(last_error_kind) BETWEEN 1 AND 200),
    last_error_op   TEXT COLLATE "C" CHECK (length(last_error_op) BETWEEN 1 AND 200),
    unique_key      TEXT COLLATE "C" CHECK (length(unique_key) BETWEEN 1 AND 200),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    done_at         TIMESTAMPTZ,
    CHECK (attempts <= max_attempts),
    -- A lease exactly while running; a finish time exactly when final.
    CHECK ((state = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
    CHECK ((state IN ('done', 'dead')) = (done_at IS NOT NULL))
);

-- Claims look for due queued jobs and expired running ones.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
-- A unique key makes an enqueue idempotent ("send this reminder once").
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;

-- Side effects a handler has completed (jobs.Once), so a job that runs again
-- after a crash does not repeat them. Keys are built from ids, never PHI.
CREATE TABLE job_effects (
    key     TEXT COLLATE "C" PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
    done_at TIMESTAMPTZ NOT NULL
);
