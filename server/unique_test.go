package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

func TestUniqueTasks(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			t.Run("ConcurrentRequestsCreateOne", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), false) // no worker: the task stays pending
				body := map[string]any{"type": "noop", "metadata": map[string]any{"user": 7},
					"unique": map[string]any{"by_args": true}}
				const producers = 32
				ws := make([]*httptest.ResponseRecorder, producers)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range producers {
					wg.Go(func() {
						<-start
						ws[i] = b.admin(req{method: "POST", path: "/api/tasks", body: body})
					})
				}
				close(start)
				wg.Wait()
				var created []string
				ids := map[string]bool{}
				for _, w := range ws {
					require.Contains(t, []int{http.StatusCreated, http.StatusOK}, w.Code, w.Body.String())
					tk := decode[*taskq.Task](t, w)
					ids[tk.ID] = true
					require.Equal(t, "/api/tasks/"+tk.ID, w.Header().Get("Location"))
					if w.Code == http.StatusCreated {
						created = append(created, tk.ID)
					}
				}
				require.Len(t, created, 1, "exactly one request creates the task")
				require.Len(t, ids, 1, "every request gets that task")

				page := decode[listBody](t, b.admin(req{method: "GET", path: "/api/tasks"}))
				require.Len(t, page.Tasks, 1)

				// Other metadata, another principal: other tasks.
				other := b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"type": "noop",
					"metadata": map[string]any{"user": 8}, "unique": map[string]any{"by_args": true}}})
				require.Equal(t, http.StatusCreated, other.Code, other.Body.String())
				_, userKey := b.newKey("u", auth.RoleUser)
				w := b.do(req{method: "POST", path: "/api/tasks", key: userKey, body: body})
				require.Equal(t, http.StatusCreated, w.Code, "the owner is part of the key")
			})
			t.Run("CompletedTaskReleasesTheKey", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), true)
				body := map[string]any{"type": "noop", "unique": map[string]any{"key": "nightly", "states": []string{"pending", "running", "failed"}}}
				first := b.createTask(testAdminKey, body)
				b.waitStatus(first.ID, taskq.StatusCompleted)
				second := b.createTask(testAdminKey, body)
				require.NotEqual(t, first.ID, second.ID)

				// With completed among the states, a done task is returned.
				held := map[string]any{"type": "noop", "unique": map[string]any{"key": "once", "states": []string{"pending", "running", "failed", "completed"}}}
				once := b.createTask(testAdminKey, held)
				b.waitStatus(once.ID, taskq.StatusCompleted)
				w := b.admin(req{method: "POST", path: "/api/tasks", body: held})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				got := decode[*taskq.Task](t, w)
				require.Equal(t, once.ID, got.ID)
				require.Equal(t, taskq.StatusCompleted, got.Status, "the task as it is now")
			})
		})
	}
}

func TestUniqueTaskValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	for field, u := range map[string]map[string]any{
		"unique.period_ms": {"period_ms": 500},
		"unique.states":    {"states": []string{"done"}},
		"unique.key":       {"key": strings.Repeat("k", 256)},
		"unique.fields":    {"fields": []string{""}},
	} {
		w := b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"type": "noop", "unique": u}})
		e := requireError(t, w, http.StatusUnprocessableEntity, taskq.CodeValidation)
		require.Equal(t, field, e.Error.Details[0].Field, w.Body.String())
	}
	requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: `{"type":"noop","unique":{"by":1}}`}),
		http.StatusBadRequest, taskq.CodeInvalidInput)

	// Conflicts are counted.
	body := map[string]any{"type": "noop", "unique": map[string]any{}}
	b.createTask(testAdminKey, body)
	for range 2 {
		require.Equal(t, http.StatusOK, b.admin(req{method: "POST", path: "/api/tasks", body: body}).Code)
	}
	metrics := b.do(req{method: "GET", path: "/metrics"}).Body.String()
	require.Contains(t, metrics, "\ntasks_unique_conflicts_total 2\n")
}
