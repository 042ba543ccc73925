package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestTaskProgress: GET /api/tasks/{id} shows the progress the handler
// reported (the sleep type reports it) while the task runs, and the last
// report once it completed.
func TestTaskProgress(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{}, be.deps(t), true)

			long := b.createTask(testAdminKey, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 60000}})
			require.Nil(t, long.Progress, "no progress before the handler reports")
			var got *taskq.Task
			waitFor(t, 30*time.Second, func() bool {
				got = b.getTask(long.ID)
				return got.Progress != nil
			}, func() string { return "no progress on the running task" })
			require.Equal(t, taskq.StatusRunning, got.Status)
			require.Equal(t, 0, got.Progress.Percent)
			require.Equal(t, "slept 0 of 60000 ms", got.Progress.Message)
			require.Equal(t, 1, got.Progress.Attempt)
			w := b.admin(req{method: "DELETE", path: "/api/tasks/" + long.ID})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())

			short := b.createTask(testAdminKey, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 50}})
			done := b.waitStatus(short.ID, taskq.StatusCompleted)
			require.NotNil(t, done.Progress)
			require.Equal(t, taskq.Progress{Percent: 100, Message: "slept 50 of 50 ms", Attempt: 1, Updated: done.Progress.Updated}, *done.Progress)
			require.False(t, done.Progress.Updated.After(*done.CompletedAt), "reported before the outcome")
		})
	}
}
