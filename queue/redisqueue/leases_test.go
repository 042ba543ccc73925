package redisqueue_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

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

// TestTokensHashStaysATable: the hash of lease tokens is a hash table from
// the first lease on, never Redis's listpack (scanned from the start for
// every field: a lease or ack of a hundred ids in a busy queue cost
// 100-250 µs in it). An entry whose id is the pin's field is still leased,
// fenced by its token and acknowledged like any other.
func TestTokensHashStaysATable(t *testing.T) {
	srv := testenv.StartRedis(t)
	prefix := uniquePrefix()
	q := newQueue(t, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	ctx := ctxT(t)
	tokens := "{" + prefix + ":q}:tokens"
	pin := "\x00pin"
	require.NoError(t, q.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a"}, taskq.QueueEntry{ID: pin}))

	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: farTTL})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, leaseIDs(leases))
	enc, err := srv.Do("OBJECT", "ENCODING", tokens)
	require.NoError(t, err)
	require.Equal(t, "hashtable", enc, "after one lease")

	pinned, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: farTTL})
	require.NoError(t, err)
	require.Equal(t, []string{pin}, leaseIDs(pinned))
	stale := pinned[0]
	stale.Token++
	require.NoError(t, q.Ack(ctx, "q", stale))
	st, err := q.Stats(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Leased, "an ack with another token leaves the entry")
	require.NoError(t, q.Ack(ctx, "q", pinned[0], leases[0]))
	st, err = q.Stats(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(0), st.Total())
}
