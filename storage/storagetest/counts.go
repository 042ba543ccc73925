package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// countsOf returns the store's counts at now as a map keyed by
// queue/type/status; the store implements taskq.StatusCounter.
func countsOf(t *testing.T, s taskq.StorageAdapter, at time.Time) (map[string]int64, map[string]time.Time) {
	t.Helper()
	tc, err := s.(taskq.StatusCounter).CountTasks(t.Context(), at)
	require.NoError(t, err)
	out := map[string]int64{}
	for i, c := range tc.Counts {
		require.Positive(t, c.Count, "a zero count is left out")
		if i > 0 {
			p := tc.Counts[i-1]
			require.True(t, p.Queue < c.Queue || p.Queue == c.Queue && (p.Type < c.Type ||
				p.Type == c.Type && slices.Index(taskq.Statuses(), p.Status) < slices.Index(taskq.Statuses(), c.Status)),
				"counts are sorted by queue, type, status: %v before %v", p, c)
		}
		out[c.Queue+"/"+c.Type+"/"+string(c.Status)] = c.Count
	}
	return out, tc.OldestPending
}

func testCountTasks(t *testing.T, newStore Factory) {
	ctx, s := setup(t, newStore)
	if _, ok := s.(taskq.StatusCounter); !ok {
		t.Skip("the store does not implement taskq.StatusCounter")
	}
	n := now()
	counts, oldest := countsOf(t, s, n)
	require.Empty(t, counts, "an empty store")
	require.Empty(t, oldest, "an empty store")

	in := func(q, ty string) func(*taskq.Task) {
		return func(t *taskq.Task) { t.Queue, t.Type = q, ty }
	}
	at := func(d time.Duration) func(*taskq.Task) {
		return func(t *taskq.Task) { t.RunAt = n.Add(d) }
	}
	a1 := newTask(in("mail", "send"), at(-time.Minute))
	a2 := newTask(in("mail", "send"), at(-2*time.Minute))
	a3 := newTask(in("mail", "send"), at(time.Hour)) // scheduled: not due
	b1 := newTask(in("mail", "bounce"), withStatus(taskq.StatusDeadLetter))
	c1 := newTask(in("img", "resize"), at(-3*time.Minute))
	c2 := newTask(in("img", "resize"), withStatus(taskq.StatusCompleted))
	create(t, ctx, s, a1, a3, b1)
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{a2, c1, c2}))

	counts, oldest = countsOf(t, s, n)
	require.Equal(t, map[string]int64{
		"img/resize/pending": 1, "img/resize/completed": 1,
		"mail/bounce/dead_letter": 1, "mail/send/pending": 3,
	}, counts)
	require.Len(t, oldest, 2)
	require.True(t, a2.RunAt.Equal(oldest["mail"]), "mail: the earliest due pending task, got %v", oldest["mail"])
	require.True(t, c1.RunAt.Equal(oldest["img"]), "img: got %v", oldest["img"])

	// pending -> running -> failed -> dead_letter; the oldest moves on.
	started, err := s.StartTasks(ctx, []string{a2.ID, c1.ID}, n)
	require.NoError(t, err)
	require.Len(t, started, 2)
	counts, oldest = countsOf(t, s, n)
	require.EqualValues(t, 2, counts["mail/send/pending"])
	require.EqualValues(t, 1, counts["mail/send/running"])
	require.EqualValues(t, 1, counts["img/resize/running"])
	require.NotContains(t, counts, "img/resize/pending")
	require.True(t, a1.RunAt.Equal(oldest["mail"]), "mail: the next due task, got %v", oldest["mail"])
	require.NotContains(t, oldest, "img", "img has no due pending task left")

	for _, st := range started {
		st.Status, st.RunAt = taskq.StatusFailed, n.Add(time.Minute)
		require.NoError(t, s.UpdateAttempt(ctx, st, st.Attempts))
	}
	counts, _ = countsOf(t, s, n)
	require.EqualValues(t, 1, counts["mail/send/failed"])
	require.EqualValues(t, 1, counts["img/resize/failed"])
	require.NotContains(t, counts, "mail/send/running")

	// The scheduled task becomes due later; a retry back to pending counts
	// as pending again with its new run-at.
	_, oldest = countsOf(t, s, n.Add(2*time.Hour))
	require.True(t, a1.RunAt.Equal(oldest["mail"]), "mail: got %v", oldest["mail"])
	back := get(t, ctx, s, c1.ID)
	back.Status, back.RunAt = taskq.StatusPending, n.Add(-10*time.Second)
	require.NoError(t, s.UpdateTask(ctx, back, taskq.StatusFailed))
	counts, oldest = countsOf(t, s, n)
	require.EqualValues(t, 1, counts["img/resize/pending"])
	require.True(t, back.RunAt.Equal(oldest["img"]), "img: got %v", oldest["img"])

	mv := get(t, ctx, s, a2.ID)
	mv.Status, mv.DeadLetteredAt = taskq.StatusDeadLetter, new(n)
	_, err = s.MoveTaskToDeadLetter(ctx, mv, 0)
	require.NoError(t, err)
	require.NoError(t, s.DeleteTask(ctx, c2.ID))
	require.NoError(t, s.RemoveFromDeadLetter(ctx, b1.ID))
	counts, _ = countsOf(t, s, n)
	require.Equal(t, map[string]int64{
		"img/resize/pending": 1, "mail/send/dead_letter": 1, "mail/send/pending": 2,
	}, counts)
}
