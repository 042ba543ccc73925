-- 0001: tasks, users, API keys.
--
-- Every status change is an UPDATE of tasks conditioned on the current
-- status. Indexes are chosen so that each query of API.md is index-backed
-- while keeping the index count (and so the cost of each non-HOT update)
-- small. Ids are UUIDv7: time-ordered, so "newest first" is "id desc".

CREATE TABLE tasks (
    id               uuid        PRIMARY KEY,
    type             text        NOT NULL,
    status           text        NOT NULL CHECK (status IN
                         ('pending', 'running', 'completed', 'failed', 'cancelled', 'dead_letter')),
    priority         smallint    NOT NULL CHECK (priority BETWEEN 0 AND 3),
    description      text        NOT NULL DEFAULT '',
    created          timestamptz NOT NULL,
    updated          timestamptz NOT NULL,
    completed_at     timestamptz,
    deadline         timestamptz,
    retry_count      integer     NOT NULL DEFAULT 0,
    max_retries      integer     NOT NULL DEFAULT 0,
    error            jsonb,
    result           jsonb,
    metadata         jsonb,
    queue            text        NOT NULL,
    run_at           timestamptz NOT NULL,
    started_at       timestamptz,
    timeout_ms       bigint      NOT NULL DEFAULT 0,
    attempts         integer     NOT NULL DEFAULT 0,
    dlq_retry_count  integer     NOT NULL DEFAULT 0,
    dead_lettered_at timestamptz,
    owner            text        NOT NULL DEFAULT '',
    idempotency_key  text        NOT NULL DEFAULT ''
);

-- GET /api/tasks?status=… newest first (and the reconciler's status scans).
CREATE INDEX tasks_status_id_idx   ON tasks (status, id);
-- GET /api/tasks?type=…
CREATE INDEX tasks_type_id_idx     ON tasks (type, id);
-- GET /api/tasks?priority=…
CREATE INDEX tasks_priority_id_idx ON tasks (priority, id);
-- A user's own tasks (role user), optionally filtered further.
CREATE INDEX tasks_owner_id_idx    ON tasks (owner, id);
-- Idempotency-Key: unique per owner when set.
CREATE UNIQUE INDEX tasks_owner_idempotency_key_idx ON tasks (owner, idempotency_key)
    WHERE idempotency_key <> '';
-- GET /api/dlq oldest entry first, size-cap eviction and retention cleanup.
CREATE INDEX tasks_dlq_idx      ON tasks (dead_lettered_at, id) WHERE status = 'dead_letter';
-- GET /api/dlq?type=…
CREATE INDEX tasks_dlq_type_idx ON tasks (type, dead_lettered_at, id) WHERE status = 'dead_letter';

CREATE TABLE users (
    id      text        PRIMARY KEY,
    name    text        NOT NULL,
    role    text        NOT NULL CHECK (role IN ('admin', 'user')),
    created timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as a SHA-256 hash only; the secret is never kept.
CREATE TABLE api_keys (
    id         text        PRIMARY KEY,
    name       text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('admin', 'user')),
    hash       bytea       NOT NULL UNIQUE,
    created    timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used  timestamptz
);

CREATE INDEX api_keys_created_idx ON api_keys (created, id);
