package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// TestReconcileCoversLongBacklogs: a backlog longer than one pass (20,000
// records) is covered by successive passes, each continuing where the
// previous one stopped.
func TestReconcileCoversLongBacklogs(t *testing.T) {
	t.Parallel()
	store, q := storage.NewMemory(), queue.NewMemory()
	obs := &countingObserver{}
	w, err := worker.New(store, q, worker.Config{ReconcileAfter: time.Millisecond, Observer: obs})
	require.NoError(t, err)
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	const n = 25000
	tasks := make([]*taskq.Task, n)
	for i := range tasks {
		tasks[i], err = c.NewTask("job", nil)
		require.NoError(t, err)
	}
	// Records written, ids never pushed (a crash after the storage write).
	require.NoError(t, store.CreateTasks(context.Background(), tasks))
	time.Sleep(5 * time.Millisecond)

	require.NoError(t, w.Reconcile(context.Background(), taskq.DefaultQueue))
	st, err := q.Stats(context.Background(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 20000, st.Total(), "one pass reads at most 20 pages")
	require.NoError(t, w.Reconcile(context.Background(), taskq.DefaultQueue))
	st, err = q.Stats(context.Background(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, n, st.Total(), "the second pass continues with the older records")
	require.Equal(t, n, obs.recoveredCount(taskq.RecoveredReconciled))
	// A third pass starts over and finds nothing missing.
	require.NoError(t, w.Reconcile(context.Background(), taskq.DefaultQueue))
	require.Equal(t, n, obs.recoveredCount(taskq.RecoveredReconciled))
}
