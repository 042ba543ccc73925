-- 0017: owner_usage rows per connection, and its update counts per
-- statement.
--
-- Until now owner_usage held one row per owner, updated in the
-- transaction of every change of tasks: by the insert and delete
-- statement triggers of 0008 and 0016 (owners in owner order), and by a
-- row trigger for updates (owners in the order of the updated rows). Two
-- transactions touching the same two owners could lock their rows in
-- opposite orders, as one batch of the group-commit writer runs several
-- statements: with several owners, concurrent creations, updates and
-- deletions deadlocked (PostgreSQL aborted one after deadlock_timeout, a
-- second). The row trigger was also the largest trigger cost of a drain,
-- one UPDATE per finished task (about 7.6 us of database CPU per task).
--
-- As task_counts (0016) and queue_counts (0015) do, the counters now live
-- in rows per owner and slot, the slot being the pg_backend_pid() of the
-- connection that made the change, so two transactions in flight never
-- update the same row: no lock waits, no deadlock. An owner's usage is the
-- sum of its rows; the rows of ended connections are folded into slot 0
-- (with task_counts' fold, at most once a minute per store). Updates are
-- counted by the statement trigger of 0016, which already reads every
-- updated row's old and new versions: per owner and statement, and not at
-- all for a statement that changes no owner's count (the pending ->
-- running start).
ALTER TABLE {schema}.owner_usage ADD COLUMN slot integer NOT NULL DEFAULT 0;
ALTER TABLE {schema}.owner_usage DROP CONSTRAINT owner_usage_pkey;
ALTER TABLE {schema}.owner_usage ADD PRIMARY KEY (owner, slot);
-- The owner holding the most DLQ entries (read by the DLQ size cap only
-- when the DLQ is over its cap) is now a sum over slots, read from the
-- rows that change some owner's DLQ count: about one per owner with DLQ
-- entries once folded.
DROP INDEX {schema}.owner_usage_dead_letter_idx;
CREATE INDEX owner_usage_dead_letter_idx ON {schema}.owner_usage (owner) WHERE dead_letter <> 0;

CREATE OR REPLACE FUNCTION {schema}.owner_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.owner_usage AS u (owner, slot, active, metadata_bytes, dead_letter)
    SELECT owner, pg_backend_pid(), count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
           count(*) FILTER (WHERE status = 'dead_letter')
    FROM new_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
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
    INSERT INTO {schema}.owner_usage AS u (owner, slot, active, metadata_bytes, dead_letter)
    SELECT owner, pg_backend_pid(), -count(*) FILTER (WHERE active), -coalesce(sum(octet_length(metadata::text)), 0),
           -count(*) FILTER (WHERE status = 'dead_letter')
    FROM old_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
        metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
    SELECT queue, type, status, pg_backend_pid(), -count(*)
    FROM old_rows GROUP BY queue, type, status ORDER BY queue, type, status
    ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION {schema}.task_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
    SELECT queue, type, status, pg_backend_pid(), sum(d)
    FROM (SELECT queue, type, status, -1 AS d FROM old_rows
          UNION ALL
          SELECT queue, type, status, 1 FROM new_rows) x
    GROUP BY queue, type, status HAVING sum(d) <> 0 ORDER BY queue, type, status
    ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO {schema}.owner_usage AS u (owner, slot, active, dead_letter)
    SELECT owner, pg_backend_pid(), sum(a), sum(dl)
    FROM (SELECT owner, -(active::int) AS a, -((status = 'dead_letter')::int) AS dl FROM old_rows
          UNION ALL
          SELECT owner, active::int, (status = 'dead_letter')::int FROM new_rows) x
    GROUP BY owner HAVING sum(a) <> 0 OR sum(dl) <> 0 ORDER BY owner
    ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    RETURN NULL;
END
$$;

DROP TRIGGER owner_usage_updated ON {schema}.tasks;
DROP FUNCTION {schema}.owner_usage_updated();
