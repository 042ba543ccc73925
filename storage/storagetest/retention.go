package storagetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// finishedAt returns a mod making a task completed (or cancelled) at at.
func finishedAt(s taskq.TaskStatus, at time.Time) func(*taskq.Task) {
	return func(t *taskq.Task) {
		t.Created, t.Updated, t.RunAt = at.Add(-time.Minute), at, at.Add(-time.Minute)
		withStatus(s)(t)
	}
}

// testDeleteFinished: taskq.FinishedDeleter deletes completed and cancelled
// records finished strictly before the bound, oldest first, at most limit
// per call, whether they were created finished or finished by an update,
// and leaves every other record (and a record finished again later)
// alone. Skipped for a storage without it.
func testDeleteFinished(t *testing.T, newStore Factory) {
	ctx, s := setup(t, newStore)
	d, ok := s.(taskq.FinishedDeleter)
	if !ok {
		t.Skip("the storage has no taskq.FinishedDeleter")
	}
	base := now().Add(-time.Hour)
	var old []*taskq.Task
	for i := range 5 {
		st := taskq.StatusCompleted
		if i%2 == 1 {
			st = taskq.StatusCancelled
		}
		old = append(old, newTask(withOwner("alice"), finishedAt(st, base.Add(time.Duration(i)*time.Minute))))
	}
	create(t, ctx, s, old[3], old[0], old[4])
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{old[1], old[2]}))

	// Records that must stay: active ones, a dead letter, and a recent
	// completion.
	pending := newTask(func(t *taskq.Task) { t.Created, t.Updated = base.Add(-time.Hour), base.Add(-time.Hour) })
	failed := newTask(withStatus(taskq.StatusFailed), func(t *taskq.Task) { t.Updated = base.Add(-time.Hour) })
	recent := newTask(finishedAt(taskq.StatusCompleted, now().Add(time.Hour)))
	create(t, ctx, s, pending, failed, recent)
	dead := newTask()
	create(t, ctx, s, dead)
	dead.CompletedAt = new(base.Add(-time.Hour)) // as a worker giving up sets it
	dead = moveToDLQ(t, ctx, s, dead, base.Add(-time.Hour))

	// Finished by an update (the path every worker takes).
	running := newTask(withOwner("alice"))
	create(t, ctx, s, running)
	started, err := s.StartTasks(ctx, []string{running.ID}, time.Time{})
	require.NoError(t, err)
	require.Len(t, started, 1)
	done := started[0]
	done.Status, done.CompletedAt, done.Updated = taskq.StatusCompleted, new(base.Add(-time.Minute)), now()
	require.NoError(t, s.UpdateAttempt(ctx, done, done.Attempts))

	var before taskq.Usage
	if _, ok := s.(taskq.OwnerUsage); ok {
		before = usageOf(t, ctx, s, "alice")
	}

	n, err := d.DeleteFinished(ctx, base.Add(90*time.Second), 2)
	require.NoError(t, err)
	require.Equal(t, 2, n, "the limit bounds one call")
	requireNotFound(t, ctx, s, done.ID) // finished at base-1m: the oldest
	requireNotFound(t, ctx, s, old[0].ID)
	get(t, ctx, s, old[1].ID) // base+1m is older than the bound, but over the limit

	n, err = d.DeleteFinished(ctx, base.Add(2*time.Minute), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the bound is exclusive")
	requireNotFound(t, ctx, s, old[1].ID)
	get(t, ctx, s, old[2].ID)

	// A record finished again later is kept until its new time passes.
	again := get(t, ctx, s, old[2].ID)
	again.CompletedAt, again.Updated = new(now().Add(2*time.Hour)), now()
	require.NoError(t, s.UpdateTask(ctx, again, taskq.StatusCompleted))

	n, err = d.DeleteFinished(ctx, now(), 100)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	requireNotFound(t, ctx, s, old[3].ID)
	requireNotFound(t, ctx, s, old[4].ID)
	for _, keep := range []*taskq.Task{pending, failed, recent, old[2]} {
		get(t, ctx, s, keep.ID)
	}
	_, err = s.GetDeadLetterTask(ctx, dead.ID)
	require.NoError(t, err, "dead letters are not finished tasks")
	requireDLQCount(t, ctx, s, 1)

	n, err = d.DeleteFinished(ctx, now(), 100)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to delete")

	if _, ok := s.(taskq.OwnerUsage); ok {
		after := usageOf(t, ctx, s, "alice")
		require.Less(t, after.MetadataBytes, before.MetadataBytes, "deleted records leave the owner's usage")
		require.Equal(t, before.Pending, after.Pending)
	}
}
