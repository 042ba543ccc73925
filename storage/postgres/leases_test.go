package postgres_test

import "github.com/taskq/taskq"

// anyLeases names the leases of ids whatever their tokens (token zero).
func anyLeases(ids ...string) []taskq.Lease {
	out := make([]taskq.Lease, len(ids))
	for i, id := range ids {
		out[i] = taskq.Lease{ID: id}
	}
	return out
}
