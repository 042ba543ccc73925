-- 0015: counters of each queue's entries, so that Queue.Stats (the
-- queue-size metric, sampled at every scrape by every replica) reads a few
-- counter rows, the queue's leases and its scheduled entries instead of
-- every entry of the queue.
--
-- queue_counts holds, per queue, priority and slot, how many entries there
-- are. Triggers keep the counts exact in the transaction of every insert
-- and delete of queue_entries, once per statement (transition tables,
-- grouped by queue and priority). No statement changes an entry's queue or
-- priority, so updates (leases, extensions, requeues, promotions) need no
-- trigger: Stats counts the leases on queue_entries_leased_idx. The slot is the
-- pg_backend_pid() of the connection that made the change, so two
-- transactions in flight never update the same counter row: counting adds
-- no lock wait between writers, and no deadlock. A queue's count is the
-- sum over its slots. The rows of connections that have ended are folded
-- into slot 0 by the queue's reaper (queueCountsFoldSQL), which keeps the
-- table at about one row per queue, priority and open connection.
--
-- TRUNCATE fires no row or statement trigger of DELETE: truncate
-- queue_counts together with queue_entries.
CREATE TABLE {schema}.queue_counts (
    queue    text     NOT NULL,
    priority smallint NOT NULL,
    slot     integer  NOT NULL,
    entries  bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, priority, slot)
);

-- Inserts: the queue names, the listeners' wake-up (as in 0003) and the
-- counts, in one trigger call per statement.
CREATE OR REPLACE FUNCTION {schema}.queue_entries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    q text;
BEGIN
    FOR q IN SELECT DISTINCT n.queue FROM new_entries n LOOP
        INSERT INTO {schema}.queue_names (name) VALUES (q) ON CONFLICT DO NOTHING;
        PERFORM pg_notify(left('taskq_queue_' || TG_TABLE_SCHEMA, 63), q);
    END LOOP;
    INSERT INTO {schema}.queue_counts AS c (queue, priority, slot, entries)
    SELECT queue, priority, pg_backend_pid(), count(*)
    FROM new_entries GROUP BY queue, priority ORDER BY queue, priority
    ON CONFLICT (queue, priority, slot) DO UPDATE SET entries = c.entries + EXCLUDED.entries;
    RETURN NULL;
END
$$;

CREATE FUNCTION {schema}.queue_entries_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.queue_counts AS c (queue, priority, slot, entries)
    SELECT queue, priority, pg_backend_pid(), -count(*)
    FROM old_entries GROUP BY queue, priority ORDER BY queue, priority
    ON CONFLICT (queue, priority, slot) DO UPDATE SET entries = c.entries + EXCLUDED.entries;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_entries_deleted AFTER DELETE ON {schema}.queue_entries
    REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.queue_entries_deleted();

-- The entries already there. Creating the trigger above took a lock on
-- queue_entries that blocks every writer until this migration commits, so
-- no change is counted twice or missed.
INSERT INTO {schema}.queue_counts (queue, priority, slot, entries)
SELECT queue, priority, 0, count(*) FROM {schema}.queue_entries GROUP BY queue, priority;
