-- 0018: the counter triggers of 0017 write owner_usage and task_counts in
-- one statement (a data-modifying WITH) instead of two, which saves the
-- trigger one statement execution each time it fires (docs/postgres.md
-- has the measurement: a few percent on a single caller's CreateTask).
-- The rows are per connection (slot), so the order of the two inserts,
-- which a WITH leaves open, cannot make two transactions wait for each
-- other.

CREATE OR REPLACE FUNCTION {schema}.owner_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH counted AS (
        INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
        SELECT queue, type, status, pg_backend_pid(), count(*)
        FROM new_rows GROUP BY queue, type, status ORDER BY queue, type, status
        ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n)
    INSERT INTO {schema}.owner_usage AS u (owner, slot, active, metadata_bytes, dead_letter)
    SELECT owner, pg_backend_pid(), count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
           count(*) FILTER (WHERE status = 'dead_letter')
    FROM new_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
        metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION {schema}.owner_usage_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH counted AS (
        INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
        SELECT queue, type, status, pg_backend_pid(), -count(*)
        FROM old_rows GROUP BY queue, type, status ORDER BY queue, type, status
        ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n)
    INSERT INTO {schema}.owner_usage AS u (owner, slot, active, metadata_bytes, dead_letter)
    SELECT owner, pg_backend_pid(), -count(*) FILTER (WHERE active), -coalesce(sum(octet_length(metadata::text)), 0),
           -count(*) FILTER (WHERE status = 'dead_letter')
    FROM old_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
        metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION {schema}.task_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH counted AS (
        INSERT INTO {schema}.task_counts AS c (queue, type, status, slot, n)
        SELECT queue, type, status, pg_backend_pid(), sum(d)
        FROM (SELECT queue, type, status, -1 AS d FROM old_rows
              UNION ALL
              SELECT queue, type, status, 1 FROM new_rows) x
        GROUP BY queue, type, status HAVING sum(d) <> 0 ORDER BY queue, type, status
        ON CONFLICT (queue, type, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n)
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
