package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage/postgres"
)

// TestDispatches: a store with Dispatch writes the entries of the tasks it
// creates into its own Queue, so the Client leaves the push to it: a task
// leased, run and acknowledged before Client.Enqueue returned is not
// queued a second time. A store without Dispatch, or another queue, gets
// the Client's push as before.
func TestDispatches(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	require.True(t, s.Dispatches(q))
	require.False(t, s.Dispatches(queue.NewMemory()), "another queue")
	plain, pq := newTestQueue(t, postgres.Config{})
	require.False(t, plain.Dispatches(pq), "without Dispatch")

	c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
	require.NoError(t, err)
	tk, err := c.Enqueue(t.Context(), "noop", nil)
	require.NoError(t, err)
	st, err := q.Stats(t.Context(), tk.Queue)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Total(), "the store's entry, once")

	// The same with many: one entry per task.
	_, err = c.EnqueueMany(t.Context(), []taskq.EnqueueRequest{{Type: "noop"}, {Type: "noop"}})
	require.NoError(t, err)
	st, err = q.Stats(t.Context(), tk.Queue)
	require.NoError(t, err)
	require.Equal(t, int64(3), st.Total())
}
