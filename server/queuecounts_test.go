package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// withoutTasks returns qs without their storage counts (queueInfo.Tasks),
// for tests about the queue backend's counts.
func withoutTasks(qs []queueInfo) []queueInfo {
	out := make([]queueInfo, len(qs))
	for i, q := range qs {
		q.Tasks = nil
		out[i] = q
	}
	return out
}

// TestQueuesTaskCounts: GET /api/queues counts each queue's stored tasks
// by status and, with by=type, by type too, and tells how long the oldest
// due pending task of a queue (one no worker serves) has waited.
func TestQueuesTaskCounts(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{Queues: []string{"default", "idle"}}, be.deps(t), false)
			// No worker leases the tasks of a paused queue: they wait.
			require.NoError(t, b.s.client.PauseQueue(t.Context(), "idle"))
			require.NoError(t, b.s.Start(t.Context()))

			got := decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"}))
			require.Len(t, got.Queues, 2)
			for _, q := range got.Queues {
				require.NotNil(t, q.Tasks, "every storage of the server counts")
				require.Len(t, q.Tasks.Counts, 6, "every status, zero included")
				require.Nil(t, q.Tasks.OldestPendingAt)
				require.Zero(t, q.Tasks.OldestPendingAgeSeconds)
				require.Nil(t, q.Tasks.Types, "types only with by=type")
			}

			before := time.Now()
			b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "idle"})
			b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "idle"})
			b.createTask(testAdminKey, map[string]any{"type": "sleep", "queue": "idle"})
			later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "idle", "run_at": later})
			done := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			b.waitStatus(done.ID, taskq.StatusCompleted)
			dead := b.createTask(testAdminKey, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
			b.waitStatus(dead.ID, taskq.StatusDeadLetter)

			got = decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues?by=type"}))
			require.Len(t, got.Queues, 2)
			def, idle := got.Queues[0].Tasks, got.Queues[1].Tasks
			require.EqualValues(t, 1, def.Counts[taskq.StatusCompleted])
			require.EqualValues(t, 1, def.Counts[taskq.StatusDeadLetter])
			require.Nil(t, def.OldestPendingAt, "default is served: nothing waits")
			require.Zero(t, def.OldestPendingAgeSeconds)
			require.Equal(t, []typeTasks{
				{Type: "fail", Counts: statusCounts(taskq.StatusDeadLetter, 1)},
				{Type: "noop", Counts: statusCounts(taskq.StatusCompleted, 1)},
			}, def.Types)

			require.EqualValues(t, 4, idle.Counts[taskq.StatusPending], "the scheduled task is pending too")
			require.Equal(t, []typeTasks{
				{Type: "noop", Counts: statusCounts(taskq.StatusPending, 3)},
				{Type: "sleep", Counts: statusCounts(taskq.StatusPending, 1)},
			}, idle.Types)
			require.NotNil(t, idle.OldestPendingAt)
			require.WithinDuration(t, before, *idle.OldestPendingAt, 5*time.Second)
			require.GreaterOrEqual(t, idle.OldestPendingAgeSeconds, 0.0)
			require.LessOrEqual(t, idle.OldestPendingAgeSeconds, time.Since(before).Seconds()+1)

			for _, bad := range []string{"?by=owner", "?by=", "?by=type&by=type", "?queue=idle"} {
				requireError(t, b.admin(req{method: "GET", path: "/api/queues" + bad}), http.StatusBadRequest, taskq.CodeInvalidInput)
			}
		})
	}
}

// statusCounts returns counts of every status, n of s.
func statusCounts(s taskq.TaskStatus, n int64) map[taskq.TaskStatus]int64 {
	m := map[taskq.TaskStatus]int64{}
	for _, st := range taskq.Statuses() {
		m[st] = 0
	}
	m[s] = n
	return m
}
