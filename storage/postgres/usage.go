package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
)

// ownerUsageSQL reads the counters the triggers of
// migrations/0008_owner_usage.sql keep.
const ownerUsageSQL = `SELECT active, metadata_bytes, dead_letter FROM {schema}.owner_usage WHERE owner = $1`

// Usage returns the usage of owner (taskq.OwnerUsage): one primary-key
// lookup of counters kept by triggers in the transaction of every change.
func (s *Store) Usage(ctx context.Context, owner string) (taskq.Usage, error) {
	var u taskq.Usage
	err := s.pool.QueryRow(ctx, s.q.ownerUsage, owner).Scan(&u.Pending, &u.MetadataBytes, &u.DeadLetter)
	if errors.Is(err, pgx.ErrNoRows) {
		return taskq.Usage{}, nil
	}
	if err != nil {
		return taskq.Usage{}, mapError("owner usage", err)
	}
	return u, nil
}
