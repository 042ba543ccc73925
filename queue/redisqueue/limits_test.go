package redisqueue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestLimitScan: a limited lease looks at most Config.LimitScan ready
// entries per priority, so an entry behind more capped entries than that
// waits (as documented) until they move, and is found once it is within
// the window; a busy count left behind while nothing is leased is reset.
func TestLimitScan(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	q := newQueue(t, srv.URL(), redisqueue.Config{LimitScan: 10})
	ctx := ctxT(t)
	l := &taskq.Limits{TypeConcurrency: map[string]int{"a": 1}}
	var es []taskq.QueueEntry
	for i := range 12 {
		es = append(es, taskq.QueueEntry{ID: fmt.Sprintf("a%02d", i), Priority: taskq.PriorityMedium, Type: "a"})
	}
	es = append(es, taskq.QueueEntry{ID: "b", Priority: taskq.PriorityMedium, Type: "b"})
	require.NoError(t, q.Enqueue(ctx, "q", es...))
	lease := func() []string {
		got, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 5, TTL: time.Hour, Limits: l})
		require.NoError(t, err)
		ids := make([]string, len(got))
		for i, g := range got {
			ids[i] = g.ID
		}
		return ids
	}
	require.Equal(t, []string{"a00"}, lease(), "b is 11 entries behind the head: out of the window of 10")
	require.Empty(t, lease())
	// Two capped entries leave the head (leased without limits): b is now
	// within the window.
	got, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 2, TTL: time.Hour})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, []string{"b"}, lease())

	// A stray busy count while nothing is leased does not stop the type.
	prefix := uniquePrefix()
	q2 := newQueue(t, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	require.NoError(t, q2.Enqueue(ctx, "r", taskq.QueueEntry{ID: "x", Priority: taskq.PriorityLow, Type: "a"}))
	require.NoError(t, q2.Client().Do(ctx, q2.Client().B().Hset().Key("{"+prefix+":r}:busy").FieldValue().FieldValue("a", "7").Build()).Error())
	leased, err := q2.Lease(ctx, taskq.LeaseParams{Queue: "r", Max: 5, TTL: time.Hour, Limits: l})
	require.NoError(t, err)
	require.Len(t, leased, 1)
}
