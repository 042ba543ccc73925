package worker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// startCounting is the Queue of a PostgreSQL store that counts the records
// its LeaseAndStart started.
type startCounting struct {
	*postgres.Queue
	started atomic.Int64
}

func (q *startCounting) LeaseAndStart(ctx context.Context, p taskq.LeaseParams, n int, s taskq.StorageAdapter, at time.Time) ([]taskq.Lease, map[string]*taskq.Task, error) {
	ls, started, err := q.Queue.LeaseAndStart(ctx, p, n, s, at)
	q.started.Add(int64(len(started)))
	return ls, started, err
}

// TestPostgresOnlyLeaseStartsRecords: on PostgreSQL alone, a task leased
// while a handler is free has its record started by the lease
// (postgres.Queue.LeaseAndStart), not by StartTasks; tasks leased ahead of
// the handlers (Prefetch) are started by StartTasks when a handler takes
// them. Every task runs once, in attempt 1, and no entry is left.
func TestPostgresOnlyLeaseStartsRecords(t *testing.T) {
	t.Parallel()
	store := newPostgresStoreWith(t, postgres.Config{Dispatch: true})
	q := &startCounting{Queue: store.Queue(postgres.QueueConfig{})}
	t.Cleanup(func() { _ = q.Close() })
	b := setupWith(t, store, q, worker.Config{Concurrency: 4, Prefetch: 4, Queues: []string{"ls"}})
	release := make(chan struct{})
	var runs atomic.Int64
	b.worker.HandleFunc("quick", func(_ context.Context, tk *taskq.Task) (any, error) {
		runs.Add(1)
		if tk.Attempts != 1 {
			return nil, taskq.Permanent(context.Canceled)
		}
		return nil, nil
	})
	b.worker.HandleFunc("slow", func(ctx context.Context, _ *taskq.Task) (any, error) {
		runs.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	b.start(t)

	// One at a time to an idle worker: each lease starts its record.
	for range 5 {
		tk, err := b.client.Enqueue(t.Context(), "quick", nil, taskq.WithQueue("ls"))
		require.NoError(t, err)
		waitStatus(t, b, tk.ID, taskq.StatusCompleted, 20*time.Second)
	}
	require.Equal(t, int64(5), q.started.Load(), "records started by their leases while handlers were free")

	// Four slow tasks hold every handler; four more are leased ahead of
	// them (Prefetch) and started by StartTasks once handlers free up.
	var ids []string
	for range 8 {
		tk, err := b.client.Enqueue(t.Context(), "slow", nil, taskq.WithQueue("ls"))
		require.NoError(t, err)
		ids = append(ids, tk.ID)
	}
	waitFor(t, 20*time.Second, "four slow tasks running, four more leased", func() bool {
		st, err := q.Stats(t.Context(), "ls")
		require.NoError(t, err)
		return runs.Load() >= 9 && st.Leased == 8
	})
	close(release)
	for _, id := range ids {
		tk := waitStatus(t, b, id, taskq.StatusCompleted, 20*time.Second)
		require.Equal(t, 1, tk.Attempts, id)
	}
	require.Equal(t, int64(13), runs.Load(), "every task ran once")
	require.LessOrEqual(t, q.started.Load(), int64(9), "the four prefetched tasks started by StartTasks")
	require.NoError(t, b.worker.Stop(t.Context()))
	st, err := q.Stats(t.Context(), "ls")
	require.NoError(t, err)
	require.Zero(t, st.Total(), "no entry or lease left: %+v", st)
}
