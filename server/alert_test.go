package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
)

func TestAlertsOnDeadLetter(t *testing.T) {
	t.Parallel()
	const secret = "alert-secret-0123456789"
	var mu sync.Mutex
	var events []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := alert.Verify([]byte(secret), r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		events = append(events, r.Header.Get(alert.HeaderEvent))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	b := setup(t, Config{AlertURLs: []string{recv.URL + "/hook"}, AlertSecret: secret}, Deps{}, true)

	tk := b.createTask(testAdminKey, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
	b.waitStatus(tk.ID, taskq.StatusDeadLetter)
	waitFor(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) > 0
	}, func() string { return "no signed alert received" })
	mu.Lock()
	require.Equal(t, "task.dead_lettered", events[0])
	mu.Unlock()

	// Deliveries are engine tasks, but the API cannot create them.
	requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"type": alert.TaskType}}), 422, taskq.CodeValidation)

	_, err := LoadConfig(nil, env(map[string]string{"TASKQ_ALERT_URLS": "https://hooks.example.com/x"}))
	require.ErrorContains(t, err, "TASKQ_ALERT_SECRET")
}
