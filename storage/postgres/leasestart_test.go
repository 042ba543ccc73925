package postgres_test

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
)

// TestLeaseAndStart leases and starts in one statement: startable records
// are started (running, one more attempt, started at the given time) and
// returned by lease id; a terminal record, an entry id that names no
// record, and a record whose row another transaction holds are leased
// without a record, and the last one starts with StartTasks afterwards.
// The counts follow. With weights the same holds; only the first n
// leases are started; another store is refused.
func TestLeaseAndStart(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()
	at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute)

	a := pendingTask("ls", taskq.PriorityHigh, time.Time{})
	b := pendingTask("ls", taskq.PriorityLow, time.Time{})
	held := pendingTask("ls", taskq.PriorityMedium, time.Time{})
	done := pendingTask("ls", taskq.PriorityMedium, time.Time{})
	done.Status, done.CompletedAt = taskq.StatusCompleted, &at
	for _, tk := range []*taskq.Task{a, b, held, done} {
		_, err := s.CreateTask(ctx, tk)
		require.NoError(t, err)
	}
	// A completed task's entry (as a queue shared with another producer
	// could hold) and an entry that names no record.
	require.NoError(t, q.Enqueue(ctx, "ls", taskq.QueueEntry{ID: done.ID}, taskq.QueueEntry{ID: "not-a-uuid"}))

	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1 FROM taskq.tasks WHERE id = $1 FOR UPDATE`, held.ID)
	require.NoError(t, err)

	leases, started, err := q.LeaseAndStart(ctx, taskq.LeaseParams{Queue: "ls", Max: 10, TTL: time.Hour}, 10, s, at)
	require.NoError(t, err)
	ids := leaseIDs(leases)
	require.Len(t, ids, 5)
	require.Equal(t, []string{a.ID, held.ID}, ids[:2], "strict priority order")
	require.ElementsMatch(t, []string{a.ID, b.ID, held.ID, done.ID, "not-a-uuid"}, ids)
	var got []string
	for id, tk := range started {
		got = append(got, id)
		require.Equal(t, id, tk.ID)
		require.Equal(t, taskq.StatusRunning, tk.Status)
		require.Equal(t, 1, tk.Attempts)
		require.NotNil(t, tk.StartedAt)
		require.True(t, tk.StartedAt.Equal(at), "started at the given time")
	}
	sort.Strings(got)
	want := []string{a.ID, b.ID}
	sort.Strings(want)
	require.Equal(t, want, got, "only the startable records nobody holds")
	for _, tk := range []*taskq.Task{a, b} {
		cur, err := s.GetTask(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusRunning, cur.Status)
	}
	cur, err := s.GetTask(ctx, held.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, cur.Status, "the held record is untouched")

	require.NoError(t, tx.Rollback(ctx))
	late, err := s.StartTasks(ctx, []string{held.ID, done.ID}, at)
	require.NoError(t, err)
	require.Len(t, late, 1, "the held record starts with StartTasks; the completed one does not")
	require.Equal(t, held.ID, late[0].ID)

	counts, err := s.CountTasks(ctx, time.Now())
	require.NoError(t, err)
	var running int64
	for _, c := range counts.Counts {
		if c.Status == taskq.StatusRunning {
			running += c.Count
		}
	}
	require.Equal(t, int64(3), running)

	// Weighted.
	c := pendingTask("lw", taskq.PriorityLow, time.Time{})
	_, err = s.CreateTask(ctx, c)
	require.NoError(t, err)
	wl, ws, err := q.LeaseAndStart(ctx, taskq.LeaseParams{Queue: "lw", Max: 5, TTL: time.Hour, Weights: []int{1, 2, 4, 8}}, 5, s, at)
	require.NoError(t, err)
	require.Equal(t, []string{c.ID}, leaseIDs(wl))
	require.Contains(t, ws, c.ID)
	require.Equal(t, 1, ws[c.ID].Attempts)

	// Only the first n leases, in lease order, are started.
	hi, lo := pendingTask("ln", taskq.PriorityHigh, time.Time{}), pendingTask("ln", taskq.PriorityLow, time.Time{})
	for _, tk := range []*taskq.Task{lo, hi} {
		_, err := s.CreateTask(ctx, tk)
		require.NoError(t, err)
	}
	nl, ns, err := q.LeaseAndStart(ctx, taskq.LeaseParams{Queue: "ln", Max: 5, TTL: time.Hour}, 1, s, at)
	require.NoError(t, err)
	require.Equal(t, []string{hi.ID, lo.ID}, leaseIDs(nl))
	require.Len(t, ns, 1)
	require.Contains(t, ns, hi.ID)
	cur, err = s.GetTask(ctx, lo.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, cur.Status, "a lease after the first n stays pending")

	other := postgres.NewTestStore(t, postgres.Config{Dispatch: true})
	_, _, err = q.LeaseAndStart(ctx, taskq.LeaseParams{Queue: "lw", Max: 1, TTL: time.Hour}, 1, other, at)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
}
