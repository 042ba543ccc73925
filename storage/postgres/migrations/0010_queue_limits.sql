-- 0009: flow control of the PostgreSQL Queue (taskq.Limits).
--
-- Every entry records its task's type, so that a lease can count the
-- leases of a type (concurrency caps) and skip the entries of a type at
-- its cap. Entries from before this migration have the empty type: only
-- queue caps apply to them. The default is constant, so adding the column
-- rewrites nothing.
ALTER TABLE {schema}.queue_entries ADD COLUMN type text NOT NULL DEFAULT '';

-- The start-rate token buckets, by queue and type: tokens left at time at.
CREATE TABLE {schema}.queue_rates (
    queue  text             NOT NULL,
    type   text             NOT NULL,
    tokens double precision NOT NULL,
    at     timestamptz      NOT NULL,
    PRIMARY KEY (queue, type)
);
