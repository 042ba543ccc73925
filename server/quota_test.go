package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// TestQuotaPendingTasks fills one user's quota of pending tasks: the next
// creation is 429 quota_exceeded with Retry-After, another user is not
// affected, and cancelling a task frees room.
func TestQuotaPendingTasks(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{QuotaPendingTasks: 3}, be.deps(t), false)
			_, alice := b.newKey("alice", auth.RoleUser)
			_, bob := b.newKey("bob", auth.RoleUser)
			var first *taskq.Task
			for i := range 3 {
				tk := b.createTask(alice, map[string]any{"type": "noop"})
				if i == 0 {
					first = tk
				}
			}
			w := b.do(req{method: "POST", path: "/api/tasks", key: alice, body: map[string]any{"type": "noop"}})
			e := requireError(t, w, http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
			require.Contains(t, e.Error.Message, "3 tasks pending")
			require.Equal(t, "30", w.Header().Get("Retry-After"))

			b.createTask(bob, map[string]any{"type": "noop"}) // bob has his own quota

			require.Equal(t, http.StatusOK, b.do(req{method: "DELETE", path: "/api/tasks/" + first.ID, key: alice}).Code)
			b.createTask(alice, map[string]any{"type": "noop"})
			requireError(t, b.do(req{method: "POST", path: "/api/tasks", key: alice, body: map[string]any{"type": "noop"}}),
				http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
			require.Equal(t, "2", b.sample(`(?m)^quota_exceeded_total\{limit="pending_tasks"\} (\S+)$`))
			require.Equal(t, "0", b.sample(`(?m)^quota_exceeded_total\{limit="metadata_bytes"\} (\S+)$`))
		})
	}
}

// TestQuotaMetadataBytes fills one user's quota of stored metadata.
func TestQuotaMetadataBytes(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{QuotaMetadataBytes: 10 << 10}, be.deps(t), false)
			_, alice := b.newKey("alice", auth.RoleUser)
			_, bob := b.newKey("bob", auth.RoleUser)
			md := map[string]any{"blob": strings.Repeat("x", 3000)}
			for range 3 {
				b.createTask(alice, map[string]any{"type": "noop", "metadata": md})
			}
			e := requireError(t, b.do(req{method: "POST", path: "/api/tasks", key: alice, body: map[string]any{"type": "noop", "metadata": md}}),
				http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
			require.Contains(t, e.Error.Message, "metadata")
			// Small metadata still fits; another user is not affected.
			b.createTask(alice, map[string]any{"type": "noop", "metadata": map[string]any{"a": 1}})
			b.createTask(bob, map[string]any{"type": "noop", "metadata": md})
			require.Equal(t, "1", b.sample(`(?m)^quota_exceeded_total\{limit="metadata_bytes"\} (\S+)$`))
			require.Equal(t, "0", b.sample(`(?m)^quota_exceeded_total\{limit="pending_tasks"\} (\S+)$`))
		})
	}
}

// TestQuotaUnlimited turns the quotas off: negative values (0 in the
// settings) mean unlimited.
func TestQuotaUnlimited(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{QuotaPendingTasks: -1, QuotaMetadataBytes: -1}, Deps{}, false)
	for range 5 {
		b.createTask(testAdminKey, map[string]any{"type": "noop"})
	}
	c, err := LoadConfig([]string{"--quota-pending-tasks", "0"}, func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, -1, c.QuotaPendingTasks)
	require.Equal(t, int64(DefaultQuotaMetadataBytes), c.QuotaMetadataBytes)
}

// TestMemoryStorageCap caps the in-memory storage of a server without
// Deps.Store: past the cap creation is 429 quota_exceeded for everyone.
func TestMemoryStorageCap(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MemoryMaxTasks: 4}, Deps{}, false)
	_, alice := b.newKey("alice", auth.RoleUser)
	for range 4 {
		b.createTask(alice, map[string]any{"type": "noop"})
	}
	e := requireError(t, b.do(req{method: "POST", path: "/api/tasks", key: testAdminKey, body: map[string]any{"type": "noop"}}),
		http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
	require.Contains(t, e.Error.Message, "memory store is full")

	bytesCapped := setup(t, Config{MemoryMaxBytes: 16 << 10}, Deps{}, false)
	md := map[string]any{"blob": strings.Repeat("y", 4000)}
	n := 0
	for ; n < 10; n++ {
		w := bytesCapped.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"type": "noop", "metadata": md}})
		if w.Code != http.StatusCreated {
			requireError(t, w, http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
			break
		}
	}
	require.Equal(t, 3, n, "16 KiB hold three records of 4000 bytes of metadata")
}
