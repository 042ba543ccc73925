-- 0014: fair sharing between owners inside a priority (taskq.QueueEntry.Owner).
--
-- Every entry records its owner (the empty owner for entries from before
-- this migration and for entries without one) and, once ready, its round:
-- the current round (the lowest among the ready entries of the priority)
-- when the owner has no ready entry, the round after the owner's latest
-- one otherwise (queue_round_start). Entries written ready get their
-- rounds in the statement that writes them; the others (scheduled,
-- requeued) have none until a Lease finds them due and gives them theirs,
-- oldest first ("promotion"). Leases take the ready entries in (round,
-- run_at, seq) order. Entries ready before this migration have no round:
-- the first lease promotes them in their old order.
ALTER TABLE {schema}.queue_entries ADD COLUMN owner text NOT NULL DEFAULT '';
ALTER TABLE {schema}.queue_entries ADD COLUMN round bigint;

-- Lease: per priority, the ready entries in round order; the current
-- round is the first one's.
CREATE INDEX queue_entries_ready_idx ON {schema}.queue_entries (queue, priority, round, run_at, seq)
    WHERE deadline IS NULL AND round IS NOT NULL;
-- Promotion: an owner's latest round in a priority.
CREATE INDEX queue_entries_owner_round_idx ON {schema}.queue_entries (queue, priority, owner, round)
    WHERE deadline IS NULL AND round IS NOT NULL;
-- Promotion and Wait: the entries without a round (scheduled, or enqueued
-- since the last lease) by run time.
CREATE INDEX queue_entries_unrounded_idx ON {schema}.queue_entries (queue, run_at, seq)
    WHERE deadline IS NULL AND round IS NULL;

DROP INDEX {schema}.queue_entries_available_idx;

-- queue_round_start is the round of an entry of owner o becoming ready in
-- priority p of queue q: one probe of queue_entries_owner_round_idx, and
-- when the owner has no ready entry one of queue_entries_ready_idx. A
-- statement giving rounds to several entries of an owner numbers them on
-- from it. STABLE: it reads the calling statement's snapshot, so
-- concurrent writers of one owner can give two entries the same round
-- (they are then taken by arrival).
CREATE FUNCTION {schema}.queue_round_start(q text, p smallint, o text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(
        (SELECT e.round + 1 FROM {schema}.queue_entries e
            WHERE e.queue = q AND e.priority = p AND e.owner = o AND e.deadline IS NULL AND e.round IS NOT NULL
            ORDER BY e.round DESC LIMIT 1),
        (SELECT e.round FROM {schema}.queue_entries e
            WHERE e.queue = q AND e.priority = p AND e.deadline IS NULL AND e.round IS NOT NULL
            ORDER BY e.round LIMIT 1),
        0);
END
$$;
