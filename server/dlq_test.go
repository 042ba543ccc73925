package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestDLQ(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			cfg.DLQ.RetryLimit = 1
			b := setup(t, cfg, be.deps(t), true)

			// A permanent failure goes straight to the DLQ with retry_count 0.
			perm := b.createTask(testAdminKey, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
			dead := b.waitStatus(perm.ID, taskq.StatusDeadLetter)
			require.Equal(t, 0, dead.RetryCount)
			require.NotNil(t, dead.Error)
			require.False(t, dead.Error.Retryable)

			// max_retries 1 that always fails runs twice: retry_count 1.
			retried := b.createTask(testAdminKey, map[string]any{"type": "fail", "max_retries": 1})
			dead2 := b.waitStatus(retried.ID, taskq.StatusDeadLetter)
			require.Equal(t, 1, dead2.RetryCount)
			require.Equal(t, 2, dead2.Attempts)
			require.Equal(t, taskq.CodeTaskExecutionFailed, dead2.Error.Code)

			// Oldest entry first, paged.
			w := b.admin(req{method: "GET", path: "/api/dlq"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			page := decode[listBody](t, w)
			require.Len(t, page.Tasks, 2)
			require.Equal(t, perm.ID, page.Tasks[0].ID)
			require.Nil(t, page.NextCursor)
			page = decode[listBody](t, b.admin(req{method: "GET", path: "/api/dlq?limit=1"}))
			require.Len(t, page.Tasks, 1)
			require.NotNil(t, page.NextCursor)
			page = decode[listBody](t, b.admin(req{method: "GET", path: "/api/dlq?limit=1&cursor=" + *page.NextCursor}))
			require.Equal(t, retried.ID, page.Tasks[0].ID)
			require.Empty(t, decode[listBody](t, b.admin(req{method: "GET", path: "/api/dlq?type=noop"})).Tasks)
			requireError(t, b.admin(req{method: "GET", path: "/api/dlq?status=x"}), 400, taskq.CodeInvalidInput)

			// Retry: back to pending with retry_count 0, then dead again;
			// past the DLQ retry limit, 409.
			w = b.admin(req{method: "POST", path: "/api/dlq/" + retried.ID + "/retry"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			back := decode[*taskq.Task](t, w)
			require.Equal(t, taskq.StatusPending, back.Status)
			require.Equal(t, 0, back.RetryCount)
			require.Equal(t, 1, back.DLQRetryCount)
			b.waitStatus(retried.ID, taskq.StatusDeadLetter)
			requireError(t, b.admin(req{method: "POST", path: "/api/dlq/" + retried.ID + "/retry"}), 409, taskq.CodeConflict)

			// A task not in the DLQ: 404.
			alive := b.createTask(testAdminKey, map[string]any{"type": "noop", "run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			requireError(t, b.admin(req{method: "POST", path: "/api/dlq/" + alive.ID + "/retry"}), 404, taskq.CodeNotFound)
			requireError(t, b.admin(req{method: "DELETE", path: "/api/dlq/" + alive.ID}), 404, taskq.CodeNotFound)

			// Delete purges: GET afterwards is 404.
			w = b.admin(req{method: "DELETE", path: "/api/dlq/" + perm.ID})
			require.Equal(t, http.StatusNoContent, w.Code)
			requireError(t, b.admin(req{method: "GET", path: "/api/tasks/" + perm.ID}), 404, taskq.CodeNotFound)
			requireError(t, b.admin(req{method: "DELETE", path: "/api/dlq/" + perm.ID}), 404, taskq.CodeNotFound)

			// Cleanup: the default threshold (now - 7 days) keeps today's
			// entries; a future time purges all.
			w = b.admin(req{method: "POST", path: "/api/dlq/cleanup"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.JSONEq(t, `{"cleaned":0,"remaining":1}`, w.Body.String())
			w = b.admin(req{method: "POST", path: "/api/dlq/cleanup", body: map[string]any{"older_than": time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)}})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.JSONEq(t, `{"cleaned":1,"remaining":0}`, w.Body.String())
			requireError(t, b.admin(req{method: "GET", path: "/api/tasks/" + retried.ID}), 404, taskq.CodeNotFound)
			requireError(t, b.admin(req{method: "POST", path: "/api/dlq/cleanup", body: `{"older_than":"yesterday"}`}), 422, taskq.CodeValidation)
		})
	}
}

func TestFlakyTaskRecovers(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, true)
	tk := b.createTask(testAdminKey, map[string]any{"type": "flaky", "metadata": map[string]any{"failures": 2}, "max_retries": 3})
	done := b.waitStatus(tk.ID, taskq.StatusCompleted)
	require.Equal(t, 2, done.RetryCount)
	require.Equal(t, 3, done.Attempts)
	require.JSONEq(t, `{"ok":true,"attempts":3}`, string(done.Result))
}
