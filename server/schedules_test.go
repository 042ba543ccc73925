package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/periodic"
)

func TestSchedulesSetting(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(nil, env(map[string]string{
		"TASKQ_QUEUES": "default,cron",
		"TASKQ_SCHEDULES": `[{"name":"nightly","spec":"30 2 * * *","timezone":"Europe/Paris","type":"noop",
			"metadata":{"k":1},"queue":"cron","priority":"HIGH","missed":"catch_up_once"}]`,
	}))
	require.NoError(t, err)
	require.Equal(t, []ScheduleConfig{{Name: "nightly", Spec: "30 2 * * *", TimeZone: "Europe/Paris", Type: "noop",
		Metadata: map[string]any{"k": 1.0}, Queue: "cron", Priority: "HIGH", Missed: periodic.CatchUpOnce}}, cfg.Schedules)

	for in, want := range map[string]string{
		`{"name":"x"}`: "JSON array",
		`[{"name":"x","spec":"@hourly","type":"noop","extra":1}]`:                                  "unknown field",
		`[{"name":"x","spec":"every hour","type":"noop"}]`:                                         "schedule x",
		`[{"name":"x","spec":"@hourly","type":"noop","queue":"elsewhere"}]`:                        "not in TASKQ_QUEUES",
		`[{"name":"x","spec":"@hourly","type":"noop","priority":"URGENT"}]`:                        "schedule x",
		`[{"name":"x","spec":"@hourly","type":"noop"},{"name":"x","spec":"@daily","type":"noop"}]`: "two schedules",
	} {
		_, err := LoadConfig(nil, env(map[string]string{"TASKQ_SCHEDULES": in}))
		require.ErrorContains(t, err, "TASKQ_SCHEDULES", in)
		require.ErrorContains(t, err, want, in)
	}

	_, err = New(Config{Schedules: []ScheduleConfig{{Name: "x", Spec: "@hourly", Type: "nobody-handles-this"}}}, Deps{})
	require.ErrorContains(t, err, "no handler")
}

func TestSchedulesEndpoint(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Schedules: []ScheduleConfig{{Name: "beat", Spec: "@every 1s", Type: "noop", Priority: "HIGH"}}}
			b := setup(t, cfg, be.deps(t), true)
			_, user := b.newKey("reader", "user")

			type listing struct {
				Schedules []periodic.Status `json:"schedules"`
				Leader    bool              `json:"leader"`
			}
			var got listing
			waitFor(t, 20*time.Second, func() bool {
				w := b.do(req{method: http.MethodGet, path: "/api/schedules", key: user})
				require.Equal(t, http.StatusOK, w.Code)
				got = decode[listing](t, w)
				return got.Leader && len(got.Schedules) == 1 && got.Schedules[0].LastRun != nil
			}, func() string { return "the single replica leads and runs the schedule" })
			require.Equal(t, "1", b.sample(`(?m)^leader_is_leader\{name="`+ElectionName+`"\} (\S+)$`), "the metric shows the leadership")
			st := got.Schedules[0]
			require.Equal(t, "beat", st.Name)
			require.Equal(t, "@every 1s", st.Spec)
			require.Equal(t, "noop", st.Type)
			require.NotNil(t, st.NextRun)
			require.True(t, st.NextRun.After(*st.LastRun))

			// The tasks are there, one per tick, and run.
			page, err := b.s.client.List(t.Context(), taskq.TaskFilter{Type: "noop", Limit: 1000})
			require.NoError(t, err)
			require.NotEmpty(t, page.Tasks)
			keys := map[string]bool{}
			for _, task := range page.Tasks {
				require.True(t, strings.HasPrefix(task.IdempotencyKey, "periodic:beat:"), task.IdempotencyKey)
				require.False(t, keys[task.IdempotencyKey])
				keys[task.IdempotencyKey] = true
				require.Equal(t, taskq.PriorityHigh, task.Priority)
			}
			b.waitStatus(page.Tasks[len(page.Tasks)-1].ID, taskq.StatusCompleted)

			// Unauthenticated callers are refused; without schedules the
			// list is empty.
			require.Equal(t, http.StatusUnauthorized, b.do(req{method: http.MethodGet, path: "/api/schedules"}).Code)
		})
	}
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		b := setup(t, Config{}, Deps{}, true)
		w := b.admin(req{method: http.MethodGet, path: "/api/schedules"})
		require.Equal(t, http.StatusOK, w.Code)
		require.JSONEq(t, `{"schedules":[],"leader":false}`, w.Body.String())
		require.NotContains(t, b.do(req{method: http.MethodGet, path: "/metrics"}).Body.String(), "leader_is_leader{", "no election, no sample")
	})
}
