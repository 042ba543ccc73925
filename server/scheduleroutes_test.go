package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/periodic"
)

// scheduleListing is the body of GET /api/schedules.
type scheduleListing struct {
	Schedules []periodic.Status `json:"schedules"`
	Leader    bool              `json:"leader"`
}

// tickOf returns the tick of a periodic task of schedule name, from its
// idempotency key.
func tickOf(t *testing.T, name string, task *taskq.Task) (time.Time, bool) {
	t.Helper()
	v, ok := strings.CutPrefix(task.IdempotencyKey, "periodic:"+name+":")
	if !ok {
		return time.Time{}, false
	}
	tick, err := time.Parse(time.RFC3339Nano, v)
	require.NoError(t, err)
	return tick, true
}

// waitTick waits for a completed task of schedule name whose tick is not
// before after, and returns it.
func waitTick(t *testing.T, events <-chan taskq.Event, name string, after time.Time) *taskq.Task {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev := <-events:
			if tick, ok := tickOf(t, name, ev.Task); ok && !tick.Before(after) {
				return ev.Task
			}
		case <-timeout.C:
			t.Fatalf("no completed task of schedule %s ticking after %s", name, after)
		}
	}
}

// listedSchedules returns the schedules GET /api/schedules lists, by name.
func (b *bundle) listedSchedules(key string) map[string]periodic.Status {
	b.t.Helper()
	w := b.do(req{method: http.MethodGet, path: "/api/schedules", key: key})
	require.Equal(b.t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	out := map[string]periodic.Status{}
	for _, st := range decode[scheduleListing](b.t, w).Schedules {
		out[st.Name] = st
	}
	return out
}

// TestStoredScheduleRoutes: on every deployment, an admin creates a
// schedule through the API (checked field by field, names unique and not
// those of the settings), it is listed, its task is enqueued at a tick and
// runs, it survives a restart on durable storages, and once deleted its
// ticks stop while the settings' schedule goes on and cannot be deleted.
func TestStoredScheduleRoutes(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Queues: []string{"default", "cron"},
				Schedules: []ScheduleConfig{{Name: "cfgbeat", Spec: "@every 1s", Type: "noop"}}}
			deps := be.deps(t)
			b := setup(t, cfg, deps, true)
			events, cancel := b.s.worker.Subscribe(taskq.EventCompleted)
			defer cancel()
			_, user := b.newKey("reader", "user")

			body := map[string]any{"name": "beat", "spec": "@every 1s", "type": "sleep", "queue": "cron",
				"priority": "high", "metadata": map[string]any{"duration_ms": 1}}
			requireError(t, b.do(req{method: http.MethodPost, path: "/api/schedules", key: user, body: body}),
				http.StatusForbidden, taskq.CodeForbidden)
			requireError(t, b.do(req{method: http.MethodDelete, path: "/api/schedules/cfgbeat", key: user}),
				http.StatusForbidden, taskq.CodeForbidden)

			// Every invalid field is named.
			for field, change := range map[string]map[string]any{
				"name":                 {"name": "bad name"},
				"spec":                 {"spec": "every hour"},
				"timezone":             {"spec": "0 3 * * *", "timezone": "Mars/Olympus"},
				"type":                 {"type": "nobody-handles-this"},
				"queue":                {"queue": "elsewhere"},
				"priority":             {"priority": "urgent"},
				"missed":               {"missed": "sometimes"},
				"metadata":             {"metadata": []int{1}},
				"metadata.duration_ms": {"metadata": map[string]any{"duration_ms": -5}},
			} {
				bad := map[string]any{}
				for k, v := range body {
					bad[k] = v
				}
				for k, v := range change {
					bad[k] = v
				}
				w := b.admin(req{method: http.MethodPost, path: "/api/schedules", body: bad})
				e := requireError(t, w, http.StatusUnprocessableEntity, taskq.CodeValidation)
				require.Equal(t, field, e.Error.Details[0].Field, "body: %s", w.Body.String())
			}
			requireError(t, b.admin(req{method: http.MethodPost, path: "/api/schedules", body: `{"name":"x","spec":"@hourly","type":"noop","extra":1}`}),
				http.StatusBadRequest, taskq.CodeInvalidInput)
			e := requireError(t, b.admin(req{method: http.MethodPost, path: "/api/schedules",
				body: map[string]any{"name": "cfgbeat", "spec": "@hourly", "type": "noop"}}), http.StatusConflict, taskq.CodeConflict)
			require.Contains(t, e.Error.Message, "TASKQ_SCHEDULES")

			// Created: listed as stored, enqueued at its next tick.
			w := b.admin(req{method: http.MethodPost, path: "/api/schedules", body: body})
			require.Equal(t, http.StatusCreated, w.Code, "body: %s", w.Body.String())
			created := decode[taskq.StoredSchedule](t, w)
			require.Equal(t, "cron", created.Queue)
			require.Equal(t, taskq.PriorityHigh, created.Priority)
			require.Equal(t, "skip", created.Missed)
			require.False(t, created.Created.IsZero())
			requireError(t, b.admin(req{method: http.MethodPost, path: "/api/schedules", body: body}),
				http.StatusConflict, taskq.CodeConflict)
			listed := b.listedSchedules(user)
			require.True(t, listed["beat"].Stored)
			require.False(t, listed["cfgbeat"].Stored)
			require.Equal(t, "sleep", listed["beat"].Type)

			task := waitTick(t, events, "beat", created.Created)
			require.Equal(t, "cron", task.Queue)
			require.Equal(t, taskq.PriorityHigh, task.Priority)
			require.Equal(t, map[string]any{"slept_ms": 1.0}, decodeResult(t, task))

			if be.name != deployMemory {
				// A new server on the same backends runs it.
				ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
				require.NoError(t, b.s.Stop(ctx))
				stop()
				cancel()
				restarted := time.Now()
				b = setup(t, cfg, deps, true)
				events, cancel = b.s.worker.Subscribe(taskq.EventCompleted)
				defer cancel()
				require.True(t, b.listedSchedules(user)["beat"].Stored, "listed after the restart")
				waitTick(t, events, "beat", restarted)
			}

			// Deleted: no tick after the answer, while cfgbeat goes on.
			e = requireError(t, b.admin(req{method: http.MethodDelete, path: "/api/schedules/cfgbeat"}), http.StatusConflict, taskq.CodeConflict)
			require.Contains(t, e.Error.Message, "TASKQ_SCHEDULES")
			require.Equal(t, http.StatusNoContent, b.admin(req{method: http.MethodDelete, path: "/api/schedules/beat"}).Code)
			deleted := time.Now()
			requireError(t, b.admin(req{method: http.MethodDelete, path: "/api/schedules/beat"}), http.StatusNotFound, taskq.CodeNotFound)
			_, ok := b.listedSchedules(user)["beat"]
			require.False(t, ok)
			waitTick(t, events, "cfgbeat", deleted.Add(2*time.Second))
			page, err := b.s.client.List(t.Context(), taskq.TaskFilter{Type: "sleep", Limit: 1000})
			require.NoError(t, err)
			require.NotEmpty(t, page.Tasks)
			for _, task := range page.Tasks {
				tick, ok := tickOf(t, "beat", task)
				require.True(t, ok)
				require.False(t, tick.After(deleted), "tick %s after the deletion at %s", tick, deleted)
			}
		})
	}
}

// decodeResult returns a task's JSON result as a map.
func decodeResult(t *testing.T, task *taskq.Task) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(task.Result, &out))
	return out
}
