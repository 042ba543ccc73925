package storagetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// usageOf returns the usage of owner; the store implements
// taskq.OwnerUsage.
func usageOf(t *testing.T, ctx context.Context, s taskq.StorageAdapter, owner string) taskq.Usage {
	t.Helper()
	u, err := s.(taskq.OwnerUsage).Usage(ctx, owner)
	require.NoError(t, err)
	return u
}

func withOwner(o string) func(*taskq.Task) { return func(t *taskq.Task) { t.Owner = o } }

func testOwnerUsage(t *testing.T, newStore Factory) {
	ctx, s := setup(t, newStore)
	if _, ok := s.(taskq.OwnerUsage); !ok {
		t.Skip("the store does not implement taskq.OwnerUsage")
	}
	require.Equal(t, taskq.Usage{}, usageOf(t, ctx, s, "alice"), "an unknown owner")

	md := map[string]any{"to": "a@example.com", "n": json.Number("12")}
	enc, err := json.Marshal(md)
	require.NoError(t, err)
	ts := make([]*taskq.Task, 4)
	for i := range ts {
		ts[i] = newTask(withOwner("alice"), func(t *taskq.Task) { t.Metadata = md })
	}
	create(t, ctx, s, ts[:2]...)
	require.NoError(t, s.CreateTasks(ctx, ts[2:]))
	create(t, ctx, s, newTask(withOwner("bob")), newTask(withOwner("")))

	u := usageOf(t, ctx, s, "alice")
	require.EqualValues(t, 4, u.Pending)
	require.Zero(t, u.DeadLetter)
	// Backends store JSON a little differently (PostgreSQL's jsonb adds
	// spaces); the count is the stored size, close to the compact one.
	per := u.MetadataBytes / 4
	require.GreaterOrEqual(t, per, int64(len(enc)), "metadata bytes per task")
	require.LessOrEqual(t, per, int64(2*len(enc)), "metadata bytes per task")
	require.EqualValues(t, 1, usageOf(t, ctx, s, "bob").Pending)
	require.EqualValues(t, 1, usageOf(t, ctx, s, "").Pending, "tasks without owner count under the empty owner")

	// pending -> running stays pending; running -> completed does not.
	started, err := s.StartTasks(ctx, []string{ts[0].ID, ts[1].ID}, time.Time{})
	require.NoError(t, err)
	require.Len(t, started, 2)
	require.EqualValues(t, 4, usageOf(t, ctx, s, "alice").Pending)
	done := started[0]
	done.Status = taskq.StatusCompleted
	done.CompletedAt = new(now())
	require.NoError(t, s.UpdateTask(ctx, done, taskq.StatusRunning))
	u = usageOf(t, ctx, s, "alice")
	require.EqualValues(t, 3, u.Pending)
	require.Equal(t, 4*per, u.MetadataBytes, "a terminal task keeps its metadata counted")

	// Into the DLQ, out by removal.
	dead := started[1]
	dead.Status = taskq.StatusDeadLetter
	dead.DeadLetteredAt = new(now())
	_, err = s.MoveTaskToDeadLetter(ctx, dead, 0)
	require.NoError(t, err)
	u = usageOf(t, ctx, s, "alice")
	require.EqualValues(t, 2, u.Pending)
	require.EqualValues(t, 1, u.DeadLetter)
	require.NoError(t, s.RemoveFromDeadLetter(ctx, dead.ID))
	require.NoError(t, s.DeleteTask(ctx, done.ID))
	u = usageOf(t, ctx, s, "alice")
	require.Equal(t, taskq.Usage{Pending: 2, MetadataBytes: 2 * per}, u)

	// A failed task stays pending (it will be retried); a cancelled one
	// does not.
	f := ts[2].Clone()
	f.Status = taskq.StatusFailed
	require.NoError(t, s.UpdateTask(ctx, f))
	require.EqualValues(t, 2, usageOf(t, ctx, s, "alice").Pending)
	c := ts[3].Clone()
	c.Status = taskq.StatusCancelled
	c.CompletedAt = new(now())
	require.NoError(t, s.UpdateTask(ctx, c))
	require.EqualValues(t, 1, usageOf(t, ctx, s, "alice").Pending)
	require.NoError(t, s.DeleteTask(ctx, ts[2].ID))
	require.NoError(t, s.DeleteTask(ctx, ts[3].ID))
	require.Equal(t, taskq.Usage{}, usageOf(t, ctx, s, "alice"))
	require.EqualValues(t, 1, usageOf(t, ctx, s, "bob").Pending, "other owners untouched")
}

// testDLQOwnerFair checks that the DLQ size cap evicts the entries of the
// owner holding the most, not the oldest entries of everyone.
func testDLQOwnerFair(t *testing.T, newStore Factory) {
	ctx, s := setup(t, newStore)
	base := now().Add(-time.Hour)
	move := func(owner string, at time.Time, max int) (*taskq.Task, int) {
		task := newTask(withOwner(owner), withStatus(taskq.StatusRunning))
		create(t, ctx, s, task)
		m := task.Clone()
		m.Status = taskq.StatusDeadLetter
		m.DeadLetteredAt = new(at)
		n, err := s.MoveTaskToDeadLetter(ctx, m, max)
		require.NoError(t, err)
		return m, n
	}
	const max = 6
	// bob's entries are the oldest.
	var bobs []*taskq.Task
	for i := range 2 {
		b, n := move("bob", base.Add(time.Duration(i)*time.Second), max)
		require.Zero(t, n)
		bobs = append(bobs, b)
	}
	// alice fills the DLQ, then keeps going.
	var alices []*taskq.Task
	for i := range 10 {
		a, _ := move("alice", base.Add(time.Minute+time.Duration(i)*time.Second), max)
		alices = append(alices, a)
	}
	requireDLQCount(t, ctx, s, max)
	for _, b := range bobs {
		got, err := s.GetDeadLetterTask(ctx, b.ID)
		require.NoError(t, err, "bob's entries survive alice filling the DLQ")
		require.Equal(t, "bob", got.Owner)
	}
	// alice's newest entries are kept, her oldest evicted.
	for _, a := range alices[:6] {
		requireNotFound(t, ctx, s, a.ID)
	}
	for _, a := range alices[6:] {
		_, err := s.GetDeadLetterTask(ctx, a.ID)
		require.NoError(t, err)
	}
	// bob's new entry evicts alice's oldest remaining one, not his own.
	b, n := move("bob", base.Add(2*time.Minute), max)
	require.Equal(t, 1, n)
	requireNotFound(t, ctx, s, alices[6].ID)
	_, err := s.GetDeadLetterTask(ctx, b.ID)
	require.NoError(t, err)
	if ev, ok := s.(taskq.DeadLetterEvictions); ok {
		got := ev.TakeDeadLetterEvictions()
		require.Equal(t, map[string]int{"alice": 7}, got)
		require.Nil(t, ev.TakeDeadLetterEvictions(), "counts start anew")
	}
	if _, ok := s.(taskq.OwnerUsage); ok {
		require.EqualValues(t, 3, usageOf(t, ctx, s, "alice").DeadLetter)
		require.EqualValues(t, 3, usageOf(t, ctx, s, "bob").DeadLetter)
	}
}
