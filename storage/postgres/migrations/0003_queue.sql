-- 0003: dispatch state of the PostgreSQL Queue (taskq.Queue), in the
-- store's schema.
--
-- One row per (queue, id). An entry is leased while deadline is set;
-- otherwise it is ready once run_at has passed, scheduled before. A ready
-- entry's run_at is when it became ready (the enqueue time for an entry
-- that was due at once), so the order inside a priority, (run_at, seq), is
-- FIFO for entries enqueued ready and puts scheduled entries behind the
-- ones that were ready before they came due.
CREATE SEQUENCE {schema}.queue_entries_seq;

CREATE TABLE {schema}.queue_entries (
    queue    text        NOT NULL,
    id       text        NOT NULL,
    priority smallint    NOT NULL CHECK (priority BETWEEN 0 AND 3),
    run_at   timestamptz NOT NULL,
    -- Order among entries with the same run_at: enqueue (or requeue) order.
    seq      bigint      NOT NULL DEFAULT nextval('{schema}.queue_entries_seq'),
    -- Set while leased: when the lease expires unless extended.
    deadline timestamptz,
    PRIMARY KEY (queue, id)
);

-- Lease: per priority, the available entries in (run_at, seq) order; a
-- range scan that stops at the first entry not yet due. Wait reads the
-- earliest run_at per priority from it too.
CREATE INDEX queue_entries_available_idx ON {schema}.queue_entries (queue, priority, run_at, seq)
    WHERE deadline IS NULL;
-- Reap: the leases of a queue by deadline.
CREATE INDEX queue_entries_leased_idx ON {schema}.queue_entries (queue, deadline)
    WHERE deadline IS NOT NULL;

-- Queues: the names of the queues that ever held entries.
CREATE TABLE {schema}.queue_names (
    name text PRIMARY KEY
);

-- Every statement that inserts entries records their queue names and
-- wakes the listeners of those queues (pg_notify is delivered at commit),
-- whoever runs it: Queue.Enqueue and a store that creates the entries of
-- new tasks in the same transaction.
CREATE FUNCTION {schema}.queue_entries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    q text;
BEGIN
    FOR q IN SELECT DISTINCT n.queue FROM new_entries n LOOP
        INSERT INTO {schema}.queue_names (name) VALUES (q) ON CONFLICT DO NOTHING;
        PERFORM pg_notify(left('taskq_queue_' || TG_TABLE_SCHEMA, 63), q);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_entries_inserted AFTER INSERT ON {schema}.queue_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.queue_entries_inserted();
