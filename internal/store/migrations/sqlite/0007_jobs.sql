-- The background job queue (internal/jobs). A job is queued until a worker
-- claims it, running while the worker's lease (locked_until) lasts, then done,
-- queued again for a retry, or dead. A worker that dies leaves its job running
-- with a lease that ends, after which another worker reclaims it.
-- Payloads hold ids, never PHI; a failure records its error kind and
-- operation name, never a message.

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY,
    -- NULL for a system job that works for no one practice.
    org_id          TEXT REFERENCES organizations (id),
    kind            TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload         TEXT NOT NULL CHECK (json_valid(payload) AND length(payload) <= 65536),
    state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    run_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    max_attempts    INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    locked_until    TEXT,
    locked_by       TEXT CHECK (length(locked_by) BETWEEN 1 AND 200),
    last_error_kind TEXT CHECK (length(last_error_kind) BETWEEN 1 AND 200),
    last_error_op   TEXT CHECK (length(last_error_op) BETWEEN 1 AND 200),
    unique_key      TEXT CHECK (length(unique_key) BETWEEN 1 AND 200),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    done_at         TEXT,
    CHECK (attempts <= max_attempts),
    -- A lease exactly while running; a finish time exactly when final.
    CHECK ((state = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
    CHECK ((state IN ('done', 'dead')) = (done_at IS NOT NULL))
) STRICT;

-- Claims look for due queued jobs and expired running ones.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
-- A unique key makes an enqueue idempotent ("send this reminder once").
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;

-- Side effects a handler has completed (jobs.Once), so a job that runs again
-- after a crash does not repeat them. Keys are built from ids, never PHI.
CREATE TABLE job_effects (
    key     TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
    done_at TEXT NOT NULL
) STRICT;
