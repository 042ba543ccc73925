package redisqueue_test

import "github.com/taskq/taskq"

// anyLeases names the leases of ids whatever their tokens (token zero).
func anyLeases(ids ...string) []taskq.Lease {
	out := make([]taskq.Lease, len(ids))
	for i, id := range ids {
		out[i] = taskq.Lease{ID: id}
	}
	return out
}

// leaseIDs returns the ids of leases, in order.
func leaseIDs(leases []taskq.Lease) []string {
	var out []string
	for _, l := range leases {
		out = append(out, l.ID)
	}
	return out
}
