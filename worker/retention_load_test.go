package worker_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// retentionLoad is the number of tasks of TestRetentionLoad.
const retentionLoad = 100_000

// TestRetentionLoad puts 100,000 finished tasks through a PostgreSQL
// storage whose worker keeps finished tasks for 1s: the table returns to
// near zero (under 1% of them) shortly after the last insert, while the
// deletions, running in batches of 1000 alongside, never hold an insert
// back for long.
//
// The short form (the default, run in CI) inserts the tasks as completed
// records in batches of 1000 (CreateTasks), as many workers completing
// tasks would leave them. With TASKQ_RETENTION_FULL=1 the tasks are
// enqueued in batches and executed by the worker instead.
func TestRetentionLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 100,000 tasks")
	}
	full := os.Getenv("TASKQ_RETENTION_FULL") == "1"
	ctx := context.Background()
	st := newPostgresStoreWith(t, postgres.Config{Dispatch: full})
	q := st.Queue(postgres.QueueConfig{})
	t.Cleanup(func() { _ = q.Close() })
	obs := &retentionObserver{}
	cfg := worker.Config{Concurrency: 32, TaskRetention: time.Second, RetentionInterval: 100 * time.Millisecond,
		ReconcileInterval: -1, Observer: obs, PollInterval: 50 * time.Millisecond}
	w, err := worker.New(st, q, cfg)
	require.NoError(t, err)
	var ran atomic.Int64
	w.HandleFunc("noop", func(context.Context, *taskq.Task) (any, error) { ran.Add(1); return nil, nil })
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.Stop(sctx)
	})
	client, err := taskq.NewClient(st, q, taskq.ClientConfig{})
	require.NoError(t, err)

	countSQL := fmt.Sprintf("SELECT count(*) FROM %s.tasks", pgx.Identifier{st.Schema()}.Sanitize())
	count := func() int64 {
		var n int64
		require.NoError(t, st.Pool().QueryRow(ctx, countSQL).Scan(&n))
		return n
	}

	const batch = 1000
	start := time.Now()
	var slowest time.Duration
	var peak int64
	for i := 0; i < retentionLoad; i += batch {
		began := time.Now()
		if full {
			reqs := make([]taskq.EnqueueRequest, batch)
			for j := range reqs {
				reqs[j] = taskq.EnqueueRequest{Type: "noop", Metadata: map[string]any{"i": i + j}}
			}
			_, err = client.EnqueueMany(ctx, reqs)
		} else {
			err = st.CreateTasks(ctx, completedTasks(batch, i))
		}
		require.NoError(t, err)
		slowest = max(slowest, time.Since(began))
		if i%(20*batch) == 0 {
			peak = max(peak, count())
		}
	}
	inserted := time.Since(start)
	deadline := time.Now().Add(2 * time.Minute)
	if full {
		deadline = time.Now().Add(10 * time.Minute)
	}
	var left int64
	for {
		left = count()
		if left < retentionLoad/100 && obs.deleted.Load() >= retentionLoad-left && (!full || ran.Load() >= retentionLoad) {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d tasks left in the table", left)
		time.Sleep(50 * time.Millisecond) // polls the table: no event tells when PostgreSQL's count drops
	}
	drained := time.Since(start) - inserted
	t.Logf("%d tasks inserted in %s (slowest batch of %d: %s; largest table seen meanwhile: %d rows); "+
		"%d left %s after the last insert; %d deleted by retention (full form: %v)",
		retentionLoad, inserted.Round(time.Millisecond), batch, slowest.Round(time.Millisecond), peak,
		left, drained.Round(time.Millisecond), obs.deleted.Load(), full)
	require.GreaterOrEqual(t, obs.deleted.Load(), int64(retentionLoad-retentionLoad/100))
	require.Less(t, slowest, 10*time.Second, "an insert batch was held back")
}

// completedTasks returns n tasks completed just now, as workers leave them.
func completedTasks(n, from int) []*taskq.Task {
	now := time.Now().UTC()
	out := make([]*taskq.Task, n)
	for i := range out {
		out[i] = &taskq.Task{ID: taskq.NewID(), Type: "noop", Status: taskq.StatusCompleted,
			Priority: taskq.PriorityMedium, Queue: taskq.DefaultQueue, Created: now, Updated: now, RunAt: now,
			StartedAt: &now, CompletedAt: &now, Attempts: 1, Metadata: map[string]any{"i": from + i}}
	}
	return out
}
