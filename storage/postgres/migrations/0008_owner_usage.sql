-- 0006: per-owner usage counters (taskq.OwnerUsage) for quotas, and the
-- indexes behind the owner-fair DLQ size cap.
--
-- owner_usage holds, per owner ('' for tasks without one): active (tasks
-- pending, running or failed), metadata_bytes (the summed length of the
-- text form of metadata) and dead_letter (DLQ entries). Triggers keep it
-- exact in the transaction of every change of tasks, so reading an
-- owner's usage is one primary-key lookup:
--
-- * inserts and deletes (batches of creations, DLQ cleanups, retention)
--   are counted per statement, grouped by owner, upserted in owner order;
-- * no statement of the store changes a task's metadata or owner, so an
--   update counts statuses only, per row, and only when a counted value
--   changes: the WHEN clause leaves the hot pending -> running update
--   without any trigger call.
CREATE TABLE {schema}.owner_usage (
    owner          text   PRIMARY KEY,
    active         bigint NOT NULL DEFAULT 0,
    metadata_bytes bigint NOT NULL DEFAULT 0,
    dead_letter    bigint NOT NULL DEFAULT 0
);

INSERT INTO {schema}.owner_usage (owner, active, metadata_bytes, dead_letter)
SELECT owner, count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
       count(*) FILTER (WHERE status = 'dead_letter')
FROM {schema}.tasks GROUP BY owner;

CREATE FUNCTION {schema}.owner_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.owner_usage AS u (owner, active, metadata_bytes, dead_letter)
    SELECT owner, count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
           count(*) FILTER (WHERE status = 'dead_letter')
    FROM new_rows GROUP BY owner ORDER BY owner
    ON CONFLICT (owner) DO UPDATE SET active = u.active + EXCLUDED.active,
        metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes,
        dead_letter = u.dead_letter + EXCLUDED.dead_letter;
    RETURN NULL;
END
$$;

CREATE FUNCTION {schema}.owner_usage_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {schema}.owner_usage u SET active = u.active - d.a, metadata_bytes = u.metadata_bytes - d.m,
        dead_letter = u.dead_letter - d.d
    FROM (SELECT owner, count(*) FILTER (WHERE active) a, coalesce(sum(octet_length(metadata::text)), 0) m,
                 count(*) FILTER (WHERE status = 'dead_letter') d
          FROM old_rows GROUP BY owner ORDER BY owner) d
    WHERE u.owner = d.owner;
    RETURN NULL;
END
$$;

CREATE FUNCTION {schema}.owner_usage_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {schema}.owner_usage
    SET active = active + (CASE WHEN NEW.active THEN 1 ELSE 0 END) - (CASE WHEN OLD.active THEN 1 ELSE 0 END),
        dead_letter = dead_letter + (CASE WHEN NEW.status = 'dead_letter' THEN 1 ELSE 0 END)
                                  - (CASE WHEN OLD.status = 'dead_letter' THEN 1 ELSE 0 END)
    WHERE owner = NEW.owner;
    RETURN NULL;
END
$$;

CREATE TRIGGER owner_usage_inserted AFTER INSERT ON {schema}.tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.owner_usage_inserted();
CREATE TRIGGER owner_usage_deleted AFTER DELETE ON {schema}.tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.owner_usage_deleted();
CREATE TRIGGER owner_usage_updated AFTER UPDATE OF status ON {schema}.tasks
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active
        OR (OLD.status = 'dead_letter') IS DISTINCT FROM (NEW.status = 'dead_letter'))
    EXECUTE FUNCTION {schema}.owner_usage_updated();

-- The owner-fair DLQ size cap evicts the oldest entry of one owner.
CREATE INDEX tasks_dlq_owner_idx ON {schema}.tasks (owner, dead_lettered_at, id) WHERE rare_status = 'dead_letter';
-- The owner holding the most DLQ entries, for that cap.
CREATE INDEX owner_usage_dead_letter_idx ON {schema}.owner_usage (dead_letter DESC, owner) WHERE dead_letter > 0;
