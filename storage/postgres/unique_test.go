package postgres_test

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
)

// Unique keys in the caller's transaction: a duplicate leaves it usable,
// a key taken by an open transaction makes the next creation wait for it,
// then see the duplicate (commit) or take the key (rollback), and a batch
// with a held key stores nothing.
func TestEnqueueTxUnique(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t, postgres.Config{}, nil)
	ctx := t.Context()
	uniq := taskq.WithUnique(taskq.UniqueOpts{ByArgs: true})
	md := map[string]any{"feed": 1}

	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	first, err := f.enq.EnqueueTx(ctx, tx, "feed", md, uniq)
	require.NoError(t, err)
	require.Empty(t, first.UniqueKey, "the returned record does not carry the key")
	dup, err := f.enq.EnqueueTx(ctx, tx, "feed", md, uniq)
	require.ErrorIs(t, err, taskq.ErrUniqueExists)
	require.Equal(t, first.ID, dup.ID, "the holder, from this transaction")
	_, err = tx.Exec(ctx, `INSERT INTO public.orders (id) VALUES ($1)`, taskq.NewID())
	require.NoError(t, err, "the transaction is still usable after a duplicate")
	_, err = f.enq.EnqueueManyTx(ctx, tx, []taskq.EnqueueRequest{
		{Type: "feed", Metadata: map[string]any{"feed": 2}, Options: []taskq.EnqueueOption{uniq}},
		{Type: "feed", Metadata: md, Options: []taskq.EnqueueOption{uniq}},
	})
	require.ErrorIs(t, err, taskq.ErrUniqueExists)
	require.NoError(t, tx.Commit(ctx))
	page, err := f.store.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 1, "the refused batch stored nothing")

	dup, err = f.client.Enqueue(ctx, "feed", md, uniq)
	require.ErrorIs(t, err, taskq.ErrUniqueExists, "committed: the Client sees the holder")
	require.Equal(t, first.ID, dup.ID)

	for _, commit := range []bool{true, false} {
		m := map[string]any{"feed": map[bool]string{true: "commit", false: "rollback"}[commit]}
		holder, err := f.store.Pool().Begin(ctx)
		require.NoError(t, err)
		held, err := f.enq.EnqueueTx(ctx, holder, "feed", m, uniq)
		require.NoError(t, err)

		type result struct {
			t   *taskq.Task
			err error
		}
		res := make(chan result, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			err := pgx.BeginFunc(ctx, f.store.Pool(), func(tx pgx.Tx) error {
				tk, err := f.enq.EnqueueTx(ctx, tx, "feed", m, uniq)
				res <- result{tk, err}
				return nil
			})
			if err != nil {
				t.Errorf("second transaction: %v", err)
			}
		})
		waitForLockWait(t, f.store)
		if commit {
			require.NoError(t, holder.Commit(ctx))
		} else {
			require.NoError(t, holder.Rollback(ctx))
		}
		r := <-res
		wg.Wait()
		if commit {
			require.ErrorIs(t, r.err, taskq.ErrUniqueExists)
			require.Equal(t, held.ID, r.t.ID)
		} else {
			require.NoError(t, r.err)
			require.NotEqual(t, held.ID, r.t.ID)
			_, err := f.store.GetTask(ctx, r.t.ID)
			require.NoError(t, err)
		}
	}
}

// A unique task deleted (retention, DLQ purge) takes its task_unique row
// with it.
func TestUniqueRowFollowsTheTask(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t, postgres.Config{}, nil)
	ctx := t.Context()
	tk, err := f.client.Enqueue(ctx, "feed", nil, taskq.WithUnique(taskq.UniqueOpts{}))
	require.NoError(t, err)
	rows := func() int {
		var n int
		require.NoError(t, f.store.Pool().QueryRow(ctx, `SELECT count(*) FROM taskq.task_unique`).Scan(&n))
		return n
	}
	require.Equal(t, 1, rows())
	require.NoError(t, f.store.DeleteTask(ctx, tk.ID))
	require.Equal(t, 0, rows())
}
