-- 0001: tasks. Every object is created in the store's schema ({schema},
-- replaced by the quoted Config.Schema when the migration runs).
--
-- Every status change is an UPDATE of tasks conditioned on the current
-- status. Indexes are chosen so that each query of the store is index-backed
-- (or walks the primary key, where the filter value is common) while the
-- two hot transitions stay cheap:
--
-- * pending -> running (StartTasks) changes no indexed value: no index
--   reads status itself, only the generated columns active and rare_status,
--   which are the same for pending and running. With the free space that
--   fillfactor leaves in each page, that update is HOT (heap-only: no index
--   entry is written).
-- * running -> completed leaves active and so is not HOT, but inserts only
--   into the primary key and (type, id): completed tasks are in no status
--   index, and the owner and priority indexes hold only tasks with an
--   owner or a priority other than the default.
--
-- Ids are UUIDv7: time-ordered, so "newest first" is "id desc".

CREATE TABLE {schema}.tasks (
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
    idempotency_key  text        NOT NULL DEFAULT '',
    -- The task may still run: pending, running or failed (to be retried).
    active           boolean     GENERATED ALWAYS AS (status IN ('pending', 'running', 'failed')) STORED,
    -- The status when it is one of the rare ones, else NULL.
    rare_status      text        GENERATED ALWAYS AS (
                         CASE WHEN status IN ('failed', 'cancelled', 'dead_letter') THEN status END) STORED
) WITH (fillfactor = 50);

-- GET /api/tasks?status=pending|running (filtered), the reconciler's scan
-- of pending|failed|running tasks.
CREATE INDEX tasks_active_idx ON {schema}.tasks (id) WHERE active;
-- GET /api/tasks?status=failed|cancelled|dead_letter.
CREATE INDEX tasks_rare_status_idx ON {schema}.tasks (rare_status, id) WHERE rare_status IS NOT NULL;
-- GET /api/tasks?type=…
CREATE INDEX tasks_type_id_idx ON {schema}.tasks (type, id);
-- GET /api/tasks?priority=… for the priorities other than the default
-- (medium, 1), which are expected to be the rarer ones; medium walks the
-- primary key.
CREATE INDEX tasks_priority_id_idx ON {schema}.tasks (priority, id) WHERE priority <> 1;
-- A user's own tasks (role user), optionally filtered further.
CREATE INDEX tasks_owner_id_idx ON {schema}.tasks (owner, id) WHERE owner <> '';
-- Idempotency-Key: unique per owner when set.
CREATE UNIQUE INDEX tasks_owner_idempotency_key_idx ON {schema}.tasks (owner, idempotency_key)
    WHERE idempotency_key <> '';
-- GET /api/dlq oldest entry first, size-cap eviction, retention cleanup
-- and the DLQ count.
CREATE INDEX tasks_dlq_idx      ON {schema}.tasks (dead_lettered_at, id) WHERE rare_status = 'dead_letter';
-- GET /api/dlq?type=…
CREATE INDEX tasks_dlq_type_idx ON {schema}.tasks (type, dead_lettered_at, id) WHERE rare_status = 'dead_letter';
