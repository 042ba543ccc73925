package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// TestExtendAndAckLockInIDOrder shows that Extend and Ack lock the
// entries of their leases in id order whatever order they are given, as
// the writer's batches do (sorted by task id): a transaction holds the
// entry with the larger id, an Extend given the leases largest first waits
// for it, and the smaller entry must by then be locked by the Extend. Had
// it followed its argument's order, it would hold nothing while it waits,
// and a transaction locking the two the other way round would deadlock with it.
func TestExtendAndAckLockInIDOrder(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	s, err := Open(ctx, pg.NewDatabase(t), Config{})
	require.NoError(t, err)
	defer s.Close()
	q := s.Queue(QueueConfig{})
	defer q.Close()
	const name = "order"
	entry := func(id string) taskq.QueueEntry { return taskq.QueueEntry{ID: id, Priority: taskq.PriorityMedium} }
	require.NoError(t, q.Enqueue(ctx, name, entry("a-small"), entry("b-large")))
	leased, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 2, TTL: time.Hour})
	require.NoError(t, err)
	require.Len(t, leased, 2)
	if leased[0].ID < leased[1].ID {
		leased[0], leased[1] = leased[1], leased[0] // largest first
	}

	for _, call := range []struct {
		name string
		run  func() error
	}{
		{"extend", func() error { _, err := q.Extend(ctx, name, leased, time.Hour); return err }},
		{"ack", func() error { return q.Ack(ctx, name, leased...) }},
	} {
		holder, err := s.Pool().Begin(ctx)
		require.NoError(t, err, call.name)
		// On failure, end the transactions before the store closes.
		defer func() { _ = holder.Rollback(context.WithoutCancel(ctx)) }()
		_, err = holder.Exec(ctx, "SELECT 1 FROM taskq.queue_entries WHERE queue = $1 AND id = 'b-large' FOR UPDATE", name)
		require.NoError(t, err, call.name)

		done := make(chan error, 1)
		go func() { done <- call.run() }()
		// Wait until the call waits for the held row.
		require.Eventually(t, func() bool {
			var n int
			err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND query LIKE '%queue_entries%' AND backend_type = 'client backend'`).Scan(&n)
			return err == nil && n == 1
		}, 20*time.Second, 10*time.Millisecond, call.name)

		other, err := s.Pool().Begin(ctx)
		require.NoError(t, err, call.name)
		defer func() { _ = other.Rollback(context.WithoutCancel(ctx)) }()
		_, err = other.Exec(ctx, "SELECT 1 FROM taskq.queue_entries WHERE queue = $1 AND id = 'a-small' FOR UPDATE NOWAIT", name)
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "%s: the smaller entry is locked by the call: %v", call.name, err)
		require.Equal(t, "55P03", pe.Code, call.name) // lock_not_available
		require.NoError(t, other.Rollback(ctx))

		require.NoError(t, holder.Rollback(ctx), call.name)
		require.NoError(t, <-done, call.name)
	}
	var left int
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM taskq.queue_entries WHERE queue = $1", name).Scan(&left))
	require.Zero(t, left, "the ack deleted both leases")
}
