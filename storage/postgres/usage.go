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
