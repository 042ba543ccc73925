package redisqueue_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestServerClock: without Config.Now the scripts read the Redis server's
// clock, so a lease deadline is the server's time plus the TTL, and a
// scheduled entry is promoted by the server's clock. With Config.Now set,
// that clock is used instead (which the test shows by setting it a day
// ahead: the entry is promoted at once).
func TestServerClock(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	prefix := uniquePrefix()
	q := newQueue(t, r.URL(), redisqueue.Config{KeyPrefix: prefix})
	ctx := ctxT(t)

	serverNow := func() time.Time {
		out, err := r.Do("TIME")
		require.NoError(t, err)
		var parts []int64
		for _, f := range splitFields(out) {
			n, err := strconv.ParseInt(f, 10, 64)
			require.NoError(t, err)
			parts = append(parts, n)
		}
		require.Len(t, parts, 2, "TIME answered %q", out)
		return time.Unix(parts[0], parts[1]*1000)
	}

	require.NoError(t, q.Enqueue(ctx, "clock", taskq.QueueEntry{ID: "a", Priority: taskq.PriorityHigh}))
	before := serverNow()
	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: "clock", Max: 1, TTL: time.Hour})
	require.NoError(t, err)
	after := serverNow()
	require.Len(t, leases, 1)
	require.False(t, leases[0].Deadline.Before(before.Add(time.Hour).Truncate(time.Millisecond)))
	require.False(t, leases[0].Deadline.After(after.Add(time.Hour)))

	// A scheduled entry due in one minute by the server is not promoted by
	// a queue without a clock of its own...
	due := serverNow().Add(time.Minute)
	require.NoError(t, q.Enqueue(ctx, "clock", taskq.QueueEntry{ID: "b", Priority: taskq.PriorityHigh, RunAt: due}))
	leases, err = q.Lease(ctx, taskq.LeaseParams{Queue: "clock", Max: 1, TTL: time.Hour})
	require.NoError(t, err)
	require.Empty(t, leases)
	// ...but is by one whose clock (Config.Now) runs a day ahead.
	ahead := newQueue(t, r.URL(), redisqueue.Config{KeyPrefix: prefix, Now: func() time.Time { return time.Now().Add(24 * time.Hour) }})
	leases, err = ahead.Lease(ctx, taskq.LeaseParams{Queue: "clock", Max: 1, TTL: time.Hour})
	require.NoError(t, err)
	require.Len(t, leases, 1)
	require.Equal(t, "b", leases[0].ID)
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == '\n' || r == ' ' || r == '\r' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
