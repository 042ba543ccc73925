package postgres

import (
	"context"

	"github.com/taskq/taskq"
)

// ownerUsageSQL sums the counter rows of an owner that the triggers of
// migrations/0008_owner_usage.sql and 0017_owner_usage_per_statement.sql
// keep (one per connection that changed the owner's tasks, until folded).
const ownerUsageSQL = `SELECT coalesce(sum(active), 0), coalesce(sum(metadata_bytes), 0), coalesce(sum(dead_letter), 0)
FROM {schema}.owner_usage WHERE owner = $1`

// ownerUsageFoldSQL moves the counter rows of connections that have ended
// into slot 0, as taskCountsFoldSQL does for task_counts.
const ownerUsageFoldSQL = `WITH gone AS (
    DELETE FROM {schema}.owner_usage WHERE ctid IN (
        SELECT ctid FROM {schema}.owner_usage
        WHERE slot <> 0 AND slot NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
        FOR UPDATE SKIP LOCKED)
    RETURNING owner, active, metadata_bytes, dead_letter)
INSERT INTO {schema}.owner_usage AS u (owner, slot, active, metadata_bytes, dead_letter)
SELECT owner, 0, sum(active), sum(metadata_bytes), sum(dead_letter) FROM gone GROUP BY owner ORDER BY owner
ON CONFLICT (owner, slot) DO UPDATE SET active = u.active + EXCLUDED.active,
    metadata_bytes = u.metadata_bytes + EXCLUDED.metadata_bytes, dead_letter = u.dead_letter + EXCLUDED.dead_letter`

// Usage returns the usage of owner (taskq.OwnerUsage): the sum of the
// owner's counter rows (a range of the primary key), kept by triggers in
// the transaction of every change.
func (s *Store) Usage(ctx context.Context, owner string) (taskq.Usage, error) {
	var u taskq.Usage
	err := s.pool.QueryRow(ctx, s.q.ownerUsage, owner).Scan(&u.Pending, &u.MetadataBytes, &u.DeadLetter)
	if err != nil {
		return taskq.Usage{}, mapError("owner usage", err)
	}
	return u, nil
}
