package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// txBackends are the deployments where tasks can be enqueued inside a
// PostgreSQL transaction: PostgreSQL alone (the transaction writes the
// queue entry) and Redis with PostgreSQL (the transaction writes an
// outbox row; the worker's relay pushes it to Redis at commit).
func txBackends(t *testing.T) map[string]func(t *testing.T, cfg worker.Config) *bundle {
	url := testenv.StartRedis(t).URL()
	return map[string]func(t *testing.T, cfg worker.Config) *bundle{
		"postgres-only": withPostgresOnly,
		"redis+postgres": func(t *testing.T, cfg worker.Config) *bundle {
			return withRedis(t, url, newPostgresStore(t), cfg)
		},
	}
}

// enqueueInTx enqueues a task of type typ inside a transaction of the
// bundle's store, committed when commit, rolled back otherwise.
func enqueueInTx(t *testing.T, b *bundle, typ string, commit bool) *taskq.Task {
	t.Helper()
	s := b.store.(*postgres.Store)
	enq, err := postgres.NewTxEnqueuer(s, b.client)
	require.NoError(t, err)
	ctx := context.Background()
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	tk, err := enq.EnqueueTx(ctx, tx, typ, map[string]any{"commit": commit})
	require.NoError(t, err)
	if commit {
		require.NoError(t, tx.Commit(ctx))
	} else {
		require.NoError(t, tx.Rollback(ctx))
	}
	return tk
}

// A task enqueued in a transaction that rolls back never exists and never
// runs; one whose transaction commits runs, promptly: the reconciler is
// off, so only the commit's own dispatch (queue entry or relay) can bring
// it to the worker.
func TestEnqueueTxRunsIfAndOnlyIfCommitted(t *testing.T) {
	t.Parallel()
	for name, setup := range txBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fastConfig()) // ReconcileInterval -1
			ran := make(chan string, 10)
			b.worker.HandleFunc("tx", func(_ context.Context, tk *taskq.Task) (any, error) {
				ran <- tk.ID
				return nil, nil
			})
			b.start(t)

			rolledBack := enqueueInTx(t, b, "tx", false)
			committedAt := time.Now()
			committed := enqueueInTx(t, b, "tx", true)
			select {
			case id := <-ran:
				require.Equal(t, committed.ID, id, "only the committed task runs")
				took := time.Since(committedAt)
				t.Logf("%s: commit to handler in %v", name, took)
				// The relay sweeps every 5s: sooner means the commit's
				// notification brought the task.
				require.Less(t, took, 4*time.Second, "dispatched at the commit, not by a sweep")
			case <-time.After(10 * time.Second):
				t.Fatal("the committed task did not run within 10s")
			}
			waitStatus(t, b, committed.ID, taskq.StatusCompleted, 5*time.Second)
			_, err := b.store.GetTask(context.Background(), rolledBack.ID)
			require.ErrorIs(t, err, taskq.ErrNotFound, "the rolled-back task never existed")
			waitFor(t, 5*time.Second, "the queue to be empty (acks are asynchronous)", func() bool {
				st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
				require.NoError(t, err)
				return st.Total() == 0
			})
			select {
			case id := <-ran:
				t.Fatalf("a second task ran: %s", id)
			default:
			}
		})
	}
}

// Redis with PostgreSQL: tasks committed while no worker runs wait in the
// outbox (not in Redis), and the relay of the next worker pushes them when
// it starts.
func TestEnqueueTxCommittedBeforeAnyWorkerStarts(t *testing.T) {
	t.Parallel()
	b := withRedis(t, testenv.StartRedis(t).URL(), newPostgresStore(t), fastConfig())
	ctx := context.Background()
	a := enqueueInTx(t, b, "tx", true)
	c := enqueueInTx(t, b, "tx", true)
	st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "not in Redis before a relay runs")

	ran := make(chan string, 10)
	b.worker.HandleFunc("tx", func(_ context.Context, tk *taskq.Task) (any, error) {
		ran <- tk.ID
		return nil, nil
	})
	b.start(t)
	var got []string
	for range 2 {
		select {
		case id := <-ran:
			got = append(got, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("ran %v of 2 tasks within 10s", got)
		}
	}
	require.ElementsMatch(t, []string{a.ID, c.ID}, got)
}

// Config.NoOutboxRelay: the worker leaves the outbox to another relay.
func TestNoOutboxRelayLeavesTheOutbox(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	cfg.NoOutboxRelay = true
	b := withRedis(t, testenv.StartRedis(t).URL(), newPostgresStore(t), cfg)
	b.worker.HandleFunc("tx", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	b.start(t)
	tk := enqueueInTx(t, b, "tx", true)
	// Flush sees the row: no relay of the worker took it.
	n, err := b.store.(*postgres.Store).Relay(b.queue, postgres.RelayConfig{}).Flush(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
}

// EnqueueTx composes with pgx.BeginFunc and typed tasks.
func TestEnqueueArgsTxWithBeginFunc(t *testing.T) {
	t.Parallel()
	for name, setup := range txBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fastConfig())
			got := make(chan greet, 1)
			worker.HandleArgs(b.worker, func(_ context.Context, j *taskq.Job[greet]) (any, error) {
				got <- j.Args
				return nil, nil
			})
			b.start(t)
			s := b.store.(*postgres.Store)
			enq, err := postgres.NewTxEnqueuer(s, b.client)
			require.NoError(t, err)
			err = pgx.BeginFunc(context.Background(), s.Pool(), func(tx pgx.Tx) error {
				_, err := enq.EnqueueArgsTx(context.Background(), tx, greet{Name: "Ada"})
				return err
			})
			require.NoError(t, err)
			select {
			case g := <-got:
				require.Equal(t, "Ada", g.Name)
			case <-time.After(10 * time.Second):
				t.Fatal("typed task did not run within 10s")
			}
		})
	}
}

type greet struct {
	Name string `json:"name"`
}

func (greet) Kind() string { return "tx.greet" }
