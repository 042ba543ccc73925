package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/dlq"
)

// TestDLQBulkRetry: POST /api/dlq/retry retries the entries that match a
// type, an error code and a time range, up to the limit, and reports the
// entries it could not retry (past the DLQ retry limit) with their reason.
func TestDLQBulkRetry(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			cfg.DLQ.RetryLimit = 1
			b := setup(t, cfg, be.deps(t), true)

			fail := func() *taskq.Task {
				tk := b.createTask(testAdminKey, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
				return b.waitStatus(tk.ID, taskq.StatusDeadLetter)
			}
			f1, f2 := fail(), fail()
			slow := b.createTask(testAdminKey, map[string]any{"type": "sleep", "timeout_ms": 1,
				"metadata": map[string]any{"duration_ms": 5000}})
			slow = b.waitStatus(slow.ID, taskq.StatusDeadLetter)
			require.Equal(t, taskq.CodeTaskTimeout, slow.Error.Code)
			f3 := fail()

			// Type and code: the fail entries, oldest first, up to the limit.
			w := b.admin(req{method: "POST", path: "/api/dlq/retry", body: map[string]any{
				"type": "fail", "error_code": "task_execution_failed", "limit": 2}})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			got := decode[bulkRetryResponse](t, w)
			require.Equal(t, bulkRetryResponse{RetriedCount: 2, Retried: []string{f1.ID, f2.ID},
				Failed: []dlq.RetryFailure{}, More: true}, got)

			// A time range: only f3 (f1 and f2 are running again or back).
			w = b.admin(req{method: "POST", path: "/api/dlq/retry", body: map[string]any{
				"since": f3.DeadLetteredAt.Format(time.RFC3339Nano),
				"until": f3.DeadLetteredAt.Add(time.Millisecond).Format(time.RFC3339Nano)}})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			got = decode[bulkRetryResponse](t, w)
			require.Equal(t, []string{f3.ID}, got.Retried)
			require.False(t, got.More)

			// They fail again for good; now past the DLQ retry limit, each is
			// reported failed with the reason, and the timeout entry, which
			// never was retried, is retried.
			for _, id := range []string{f1.ID, f2.ID, f3.ID} {
				back := b.waitStatus(id, taskq.StatusDeadLetter)
				require.Equal(t, 1, back.DLQRetryCount)
			}
			w = b.admin(req{method: "POST", path: "/api/dlq/retry", body: map[string]any{}})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			got = decode[bulkRetryResponse](t, w)
			require.Equal(t, []string{slow.ID}, got.Retried)
			require.Equal(t, 3, got.FailedCount)
			for _, f := range got.Failed {
				require.Equal(t, taskq.CodeConflict, f.Code)
				require.Contains(t, f.Message, "DLQ retry limit reached")
			}

			// Without a body too; bad filters are 422 naming the field.
			w = b.admin(req{method: "POST", path: "/api/dlq/retry"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			for field, body := range map[string]map[string]any{
				"limit":      {"limit": 1001},
				"error_code": {"error_code": "boom"},
				"since":      {"since": "yesterday"},
				"type":       {"type": "a b"},
			} {
				e := requireError(t, b.admin(req{method: "POST", path: "/api/dlq/retry", body: body}), http.StatusUnprocessableEntity, taskq.CodeValidation)
				require.Equal(t, field, e.Error.Details[0].Field)
			}
			_, userKey := b.newKey("reader", "user")
			requireError(t, b.do(req{method: "POST", path: "/api/dlq/retry", key: userKey}), http.StatusForbidden, taskq.CodeForbidden)
		})
	}
}
