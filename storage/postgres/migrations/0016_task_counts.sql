-- 0016: counters of the records by queue, type and status, and an index
-- for each queue's oldest pending task, so that CountTasks (the counts of
-- GET /api/queues and the console's overview) reads a few counter rows and
-- one index probe per queue instead of every record.
--
-- task_counts holds, per queue, type, status and slot, how many records
-- there are. Triggers keep it exact in the transaction of every change of
-- tasks, once per statement (transition tables). As for queue_counts
-- (0015), the slot is the pg_backend_pid() of the connection that made the
-- change, so two transactions in flight never update the same counter row,
-- and the rows of ended connections are folded into slot 0 (by CountTasks,
-- at most once a minute per store).
--
-- The inserts and deletes are counted by the owner_usage trigger functions
-- of 0008, extended here (one trigger call per statement does both). The
-- updates get a statement trigger of their own: unlike owner_usage, the
-- counts change with the hot pending -> running start too.
--
-- TRUNCATE fires no DELETE trigger: truncate task_counts together with
-- tasks.
CREATE TABLE {schema}.task_counts (
    queue  text    NOT NULL,
    type   text    NOT NULL,
    status text    NOT NULL,
    slot   integer NOT NULL,
    n      bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, type, status, slot)
);

-- The oldest due pending task of a queue: the first pending entry of this
-- index at or before now. It holds the pending and running records (active
-- and not failed), whose queue and run_at a start does not change, so the
-- pending -> running update stays HOT; finished and failed records leave
-- it. The predicate names rare_status so that no listing can use it: a
-- listing of active tasks of a queue in id order would read the whole
-- queue through it (the reconciler's scan did, at a million pending
-- tasks); listings keep to their own indexes.
CREATE INDEX tasks_active_queue_run_at_idx ON {schema}.tasks (queue, run_at) WHERE active AND rare_status IS NULL;

CREATE OR REPLACE FUNCTION {schema}.owner_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.owner_usage AS u (owner, active, metadata_bytes, dead_letter)
    SELECT owner, count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
           count(*) FILTER (WHERE status = 'dead_letter')
    FROM new_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner) DO UPDATE SET active = u.active + EXCLUDED.active,
        metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
    SELECT queue, type, status, pg_backend_pid(), count(*)
    FROM new_rows GROUP BY queue, type, status ORDER BY queue, type, status
    ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION {schema}.owner_usage_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {schema}.owner_usage u SET active = u.active - d.a, metadata_bytes = u.metadata_bytes - d.m,
        dead_letter = u.dead_letter - d.d
    FROM (SELECT owner, count(*) FILTER (WHERE active) a, coalesce(sum(octet_length(metadata::text)), 0) m,
                 count(*) FILTER (WHERE status = 'dead_letter') d
          FROM old_rows GROUP BY owner ORDER BY owner) d
    WHERE u.owner = d.owner;
    INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
    SELECT queue, type, status, pg_backend_pid(), -count(*)
    FROM old_rows GROUP BY queue, type, status ORDER BY queue, type, status
    ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

-- Updates: a statement that changes no queue, type or status (progress,
-- a result written with the status it had) writes nothing.
CREATE FUNCTION {schema}.task_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
    SELECT queue, type, status, pg_backend_pid(), sum(d)
    FROM (SELECT queue, type, status, -1 AS d FROM old_rows
          UNION ALL
          SELECT queue, type, status, 1 FROM new_rows) x
    GROUP BY queue, type, status HAVING sum(d) <> 0 ORDER BY queue, type, status
    ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_counts_updated AFTER UPDATE ON {schema}.tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.task_counts_updated();

-- The records already there (the triggers' lock on tasks blocks every
-- writer until this migration commits).
INSERT INTO {schema}.task_counts (queue, type, status, slot, n)
SELECT queue, type, status, 0, count(*) FROM {schema}.tasks GROUP BY queue, type, status;
