package worker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// ackCounting is the Queue of a PostgreSQL store that counts the leases
// the worker acknowledges; RemovesEntryOnFinish is the Queue's own.
type ackCounting struct {
	*postgres.Queue
	acked atomic.Int64
}

func (q *ackCounting) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	q.acked.Add(int64(len(leases)))
	return q.Queue.Ack(ctx, queue, leases...)
}

// TestPostgresOnlyCompletionNeedsNoAck: on PostgreSQL alone the statement
// that stores a completion removes the task's queue entry, so the worker
// sends no acknowledgement for completed tasks (it still does for dead
// letters, whose move goes through the DLQ); no entry or lease is left.
// With a Queue of another store it acknowledges every completion.
func TestPostgresOnlyCompletionNeedsNoAck(t *testing.T) {
	t.Parallel()
	store := newPostgresStoreWith(t, postgres.Config{Dispatch: true})
	for i, c := range []struct {
		name  string
		queue func() *postgres.Queue
		want  func(completed, dead int64) int64
	}{
		{"queue of the store", func() *postgres.Queue { return store.Queue(postgres.QueueConfig{}) },
			func(_, dead int64) int64 { return dead }},
		{"queue of another store", func() *postgres.Queue {
			other, err := postgres.New(t.Context(), store.Pool(), postgres.Config{Dispatch: true, SkipMigrations: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = other.Close() }) // the pool stays store's
			return other.Queue(postgres.QueueConfig{})
		}, func(completed, dead int64) int64 { return completed + dead }},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := &ackCounting{Queue: c.queue()}
			t.Cleanup(func() { _ = q.Close() })
			name := []string{"noack-own", "noack-other"}[i]
			b := setupWith(t, store, q, worker.Config{Concurrency: 8, Queues: []string{name}})
			b.worker.HandleFunc("ok", func(context.Context, *taskq.Task) (any, error) { return "done", nil })
			b.worker.HandleFunc("bad", func(context.Context, *taskq.Task) (any, error) {
				return nil, taskq.Permanent(errors.New("no"))
			})
			const completed, dead = 30, 3
			var ids []string
			for i := range completed + dead {
				ty := "ok"
				if i < dead {
					ty = "bad"
				}
				tk, err := b.client.Enqueue(t.Context(), ty, nil, taskq.WithQueue(name))
				require.NoError(t, err)
				ids = append(ids, tk.ID)
			}
			b.start(t)
			for i, id := range ids {
				want := taskq.StatusCompleted
				if i < dead {
					want = taskq.StatusDeadLetter
				}
				waitStatus(t, b, id, want, 20*time.Second)
			}
			waitFor(t, 10*time.Second, "the acknowledgements", func() bool { return q.acked.Load() >= c.want(completed, dead) })
			require.NoError(t, b.worker.Stop(t.Context()))
			require.Equal(t, c.want(completed, dead), q.acked.Load(), "leases acknowledged")
			st, err := q.Stats(t.Context(), name)
			require.NoError(t, err)
			require.Zero(t, st.Total(), "no entry or lease left: %+v", st)
		})
	}
}
