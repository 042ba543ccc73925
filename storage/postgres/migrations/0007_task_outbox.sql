-- 0006: the outbox of tasks enqueued inside a caller's transaction
-- (TxEnqueuer) on a store whose queue lives elsewhere (Redis, memory).
--
-- The transaction writes the task record and one row here; both become
-- visible at its commit, or never. A relay (Relay, run by every worker)
-- pushes the rows' tasks to the Queue, idempotently by task id, and then
-- deletes them, in one transaction of its own: a relay killed before its
-- commit leaves the rows for the next one. Rows are taken oldest first.
CREATE TABLE {schema}.task_outbox (
    seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     uuid        NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now()
);

-- Every statement that inserts rows wakes the relays listening on the
-- schema's outbox channel. pg_notify is delivered at commit, and not at
-- all on rollback: a relay never hears of a task before it exists.
CREATE FUNCTION {schema}.task_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify(left('taskq_outbox_' || TG_TABLE_SCHEMA, 63), '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_outbox_inserted AFTER INSERT ON {schema}.task_outbox
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.task_outbox_inserted();
