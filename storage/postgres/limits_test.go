package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
)

// TestDispatchRecordsTaskType: the entries a dispatching store writes with
// its tasks (CreateTask and the COPY of CreateTasks) carry the task type,
// so type caps apply to them.
func TestDispatchRecordsTaskType(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()
	l := &taskq.Limits{TypeConcurrency: map[string]int{"dispatch": 1}}
	lease := func() []taskq.Lease {
		t.Helper()
		got, err := q.Lease(ctx, taskq.LeaseParams{Queue: "lim", Max: 10, TTL: time.Hour, Limits: l})
		require.NoError(t, err)
		return got
	}
	one := pendingTask("lim", taskq.PriorityMedium, time.Time{})
	_, err := s.CreateTask(ctx, one)
	require.NoError(t, err)
	batch := []*taskq.Task{pendingTask("lim", taskq.PriorityMedium, time.Time{}), pendingTask("lim", taskq.PriorityMedium, time.Time{})}
	require.NoError(t, s.CreateTasks(ctx, batch))
	other := pendingTask("lim", taskq.PriorityMedium, time.Time{})
	other.Type = "other"
	_, err = s.CreateTask(ctx, other)
	require.NoError(t, err)

	got := lease()
	require.Equal(t, []string{one.ID, other.ID}, leaseIDs(got))
	require.Empty(t, lease())
	require.NoError(t, q.Ack(ctx, "lim", got[0]))
	require.Equal(t, []string{batch[0].ID}, leaseIDs(lease()), "the COPY path recorded the type too")
	require.Empty(t, lease())
}
