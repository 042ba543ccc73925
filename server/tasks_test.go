package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

type listBody struct {
	Tasks      []*taskq.Task `json:"tasks"`
	NextCursor *string       `json:"next_cursor"`
}

func TestTasks(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			t.Run("CreateRunGet", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), true)
				w := b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{
					"type": "noop", "description": "hello", "priority": "high", "max_retries": 2,
					"timeout_ms": 5000, "metadata": map[string]any{"k": "v"},
				}})
				require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
				created := decode[*taskq.Task](t, w)
				require.Equal(t, "/api/tasks/"+created.ID, w.Header().Get("Location"))
				require.Equal(t, taskq.PriorityHigh, created.Priority)
				require.Equal(t, 2, created.MaxRetries)
				require.Equal(t, 5*time.Second, created.Timeout)
				require.Equal(t, "admin", created.Owner)
				require.Contains(t, w.Body.String(), `"priority":2`, "priority is written as an integer")

				done := b.waitStatus(created.ID, taskq.StatusCompleted)
				require.JSONEq(t, `{"ok":true}`, string(done.Result))
				require.NotNil(t, done.CompletedAt)
				require.Equal(t, 0, done.RetryCount)

				raw := b.admin(req{method: "GET", path: "/api/tasks/" + created.ID}).Body.String()
				for _, f := range []string{`"id"`, `"type"`, `"status"`, `"priority"`, `"description"`, `"created"`, `"updated"`,
					`"completed_at"`, `"deadline":null`, `"run_at"`, `"retry_count"`, `"max_retries"`, `"result"`, `"metadata"`} {
					require.Contains(t, raw, f)
				}

				requireError(t, b.admin(req{method: "GET", path: "/api/tasks/01900000-0000-7000-8000-000000000000"}), 404, taskq.CodeNotFound)
				requireError(t, b.admin(req{method: "GET", path: "/api/tasks/not-an-id"}), 404, taskq.CodeNotFound)
			})
			t.Run("ListFiltersAndPages", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), false) // no worker: tasks stay pending
				var ids []string
				for i := range 5 {
					typ := "noop"
					if i%2 == 1 {
						typ = "sleep"
					}
					ids = append(ids, b.createTask(testAdminKey, map[string]any{"type": typ, "priority": i % 4}).ID)
				}
				// Newest first, paged by 2, next_cursor null at the end.
				var got []string
				cursor := ""
				for range 10 {
					path := "/api/tasks?limit=2"
					if cursor != "" {
						path += "&cursor=" + cursor
					}
					w := b.admin(req{method: "GET", path: path})
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					page := decode[listBody](t, w)
					require.LessOrEqual(t, len(page.Tasks), 2)
					for _, tk := range page.Tasks {
						got = append(got, tk.ID)
					}
					if page.NextCursor == nil {
						require.Contains(t, w.Body.String(), `"next_cursor":null`)
						break
					}
					cursor = *page.NextCursor
					// An insert between pages does not disturb the listing.
					if len(got) == 2 {
						b.createTask(testAdminKey, map[string]any{"type": "noop"})
					}
				}
				require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, got)

				page := decode[listBody](t, b.admin(req{method: "GET", path: "/api/tasks?type=sleep&status=pending"}))
				require.Len(t, page.Tasks, 2)
				page = decode[listBody](t, b.admin(req{method: "GET", path: "/api/tasks?priority=critical"}))
				require.Len(t, page.Tasks, 1)
				require.Equal(t, ids[3], page.Tasks[0].ID)
				page = decode[listBody](t, b.admin(req{method: "GET", path: "/api/tasks?status=completed,cancelled"}))
				require.Empty(t, page.Tasks)
				require.NotNil(t, page.Tasks, "an empty list is [], not null")

				for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "status=done", "priority=9", "type=a%20b",
					"foo=1", "limit=1&limit=2", "cursor=%00", "cursor=zzzz-not-a-cursor", "%zz"} {
					requireError(t, b.admin(req{method: "GET", path: "/api/tasks?" + bad}), 400, taskq.CodeInvalidInput)
				}
			})
			t.Run("Idempotency", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), false)
				later := time.Now().UTC().Add(30*24*time.Hour).Format("2006-01-02T15:04:05") + ".123456Z"
				body := map[string]any{"type": "noop", "metadata": map[string]any{"n": 1}, "run_at": later}
				hdr := map[string]string{"Idempotency-Key": "order-42"}
				w1 := b.admin(req{method: "POST", path: "/api/tasks", body: body, header: hdr})
				require.Equal(t, http.StatusCreated, w1.Code, w1.Body.String())
				first := decode[*taskq.Task](t, w1)

				w2 := b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"metadata": map[string]any{"n": 1.0}, "type": "noop", "run_at": later}, header: hdr})
				require.Equal(t, http.StatusOK, w2.Code, w2.Body.String())
				require.Equal(t, first.ID, decode[*taskq.Task](t, w2).ID)
				require.Equal(t, "/api/tasks/"+first.ID, w2.Header().Get("Location"))

				for _, other := range []map[string]any{
					{"type": "noop", "metadata": map[string]any{"n": 2}, "run_at": later},
					{"type": "sleep", "metadata": map[string]any{"n": 1}, "run_at": later},
					{"type": "noop", "metadata": map[string]any{"n": 1}},
					{"type": "noop", "metadata": map[string]any{"n": 1}, "run_at": later, "priority": 3},
				} {
					requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: other, header: hdr}), 409, taskq.CodeConflict)
				}

				// The same key of another principal is another task.
				_, userKey := b.newKey("u", auth.RoleUser)
				w3 := b.do(req{method: "POST", path: "/api/tasks", key: userKey, body: body, header: hdr})
				require.Equal(t, http.StatusCreated, w3.Code)
				require.NotEqual(t, first.ID, decode[*taskq.Task](t, w3).ID)

				// Without a key, two requests are two tasks.
				a := b.createTask(testAdminKey, map[string]any{"type": "noop"})
				c := b.createTask(testAdminKey, map[string]any{"type": "noop"})
				require.NotEqual(t, a.ID, c.ID)

				requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: body, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}), 400, taskq.CodeInvalidInput)
			})
			t.Run("CancelPendingAndTerminal", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), true)
				tk := b.createTask(testAdminKey, map[string]any{"type": "noop", "run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)})
				w := b.admin(req{method: "DELETE", path: "/api/tasks/" + tk.ID})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				require.Equal(t, taskq.StatusCancelled, decode[*taskq.Task](t, w).Status)
				requireError(t, b.admin(req{method: "DELETE", path: "/api/tasks/" + tk.ID}), 409, taskq.CodeConflict)

				done := b.createTask(testAdminKey, map[string]any{"type": "noop"})
				b.waitStatus(done.ID, taskq.StatusCompleted)
				requireError(t, b.admin(req{method: "DELETE", path: "/api/tasks/" + done.ID}), 409, taskq.CodeConflict)
				requireError(t, b.admin(req{method: "DELETE", path: "/api/tasks/01900000-0000-7000-8000-000000000000"}), 404, taskq.CodeNotFound)
			})
			t.Run("CancelRunningReachesHandler", func(t *testing.T) {
				t.Parallel()
				b := setup(t, Config{}, be.deps(t), false)
				var handlerEnded atomic.Bool
				var endedBy atomic.Value
				b.s.Worker().Use(func(next taskq.Handler) taskq.Handler {
					return taskq.HandlerFunc(func(ctx context.Context, tk *taskq.Task) (any, error) {
						res, err := next.ProcessTask(ctx, tk)
						if tk.Type == "sleep" {
							if c := context.Cause(ctx); c != nil {
								endedBy.Store(c.Error())
							}
							handlerEnded.Store(true)
						}
						return res, err
					})
				})
				require.NoError(t, b.s.Start(context.Background()))
				tk := b.createTask(testAdminKey, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 60000}})
				b.waitStatus(tk.ID, taskq.StatusRunning)
				start := time.Now()
				w := b.admin(req{method: "DELETE", path: "/api/tasks/" + tk.ID})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				require.Equal(t, taskq.StatusCancelled, decode[*taskq.Task](t, w).Status)
				waitFor(t, 10*time.Second, handlerEnded.Load, func() string { return "the sleep handler did not see the cancellation" })
				require.Less(t, time.Since(start), 10*time.Second)
				require.NotNil(t, endedBy.Load(), "the handler's context ended")
				require.Equal(t, taskq.StatusCancelled, b.getTask(tk.ID).Status)
			})
		})
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{HTTPAllow: []string{"api.example.com"}}, Deps{}, false)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name   string
		body   string
		fields []string
	}{
		{"missing type", `{}`, []string{"type"}},
		{"unknown type", `{"type":"email.send"}`, []string{"type"}},
		{"priority out of range", `{"type":"noop","priority":7}`, []string{"priority"}},
		{"priority unknown name", `{"type":"noop","priority":"urgent"}`, []string{"priority"}},
		{"priority fractional", `{"type":"noop","priority":1.5}`, []string{"priority"}},
		{"max_retries", `{"type":"noop","max_retries":101}`, []string{"max_retries"}},
		{"max_retries negative", `{"type":"noop","max_retries":-1}`, []string{"max_retries"}},
		{"deadline past", `{"type":"noop","deadline":"` + past + `"}`, []string{"deadline"}},
		{"deadline unparsable", `{"type":"noop","deadline":"tomorrow"}`, []string{"deadline"}},
		{"run_at unparsable", `{"type":"noop","run_at":"2030-13-01T00:00:00Z"}`, []string{"run_at"}},
		{"run_at after deadline", `{"type":"noop","deadline":"` + future + `","run_at":"2099-01-01T00:00:00Z"}`, []string{"run_at"}},
		{"description too long", `{"type":"noop","description":"` + strings.Repeat("é", 1001) + `"}`, []string{"description"}},
		{"description control", `{"type":"noop","description":"a\u0001b"}`, []string{"description"}},
		{"metadata array", `{"type":"noop","metadata":[1,2]}`, []string{"metadata"}},
		{"metadata string", `{"type":"noop","metadata":"x"}`, []string{"metadata"}},
		{"metadata too large", `{"type":"noop","metadata":{"x":"` + strings.Repeat("a", 70<<10) + `"}}`, []string{"metadata"}},
		{"sleep too long", `{"type":"sleep","metadata":{"duration_ms":60001}}`, []string{"metadata.duration_ms"}},
		{"http off the list", `{"type":"http","metadata":{"url":"http://169.254.169.254/latest"}}`, []string{"metadata.url"}},
		{"http user-info", `{"type":"http","metadata":{"url":"https://u:p@api.example.com/"}}`, []string{"metadata.url"}},
		{"timeout negative", `{"type":"noop","timeout_ms":-5}`, []string{"timeout_ms"}},
		{"unknown queue", `{"type":"noop","queue":"other"}`, []string{"queue"}},
		{"wrong JSON type", `{"type":5}`, []string{"type"}},
		{"wrong JSON type nested", `{"type":"noop","max_retries":"3"}`, []string{"max_retries"}},
		{"several", `{"type":"nope","priority":9,"max_retries":500}`, []string{"type", "priority", "max_retries"}},
	}
	for _, c := range cases {
		w := b.admin(req{method: "POST", path: "/api/tasks", body: c.body})
		e := requireError(t, w, http.StatusUnprocessableEntity, taskq.CodeValidation)
		var fields []string
		for _, d := range e.Error.Details {
			fields = append(fields, d.Field)
			require.NotEmpty(t, d.Message, c.name)
		}
		require.ElementsMatch(t, c.fields, fields, c.name)
		require.True(t, strings.HasPrefix(e.Error.Message, c.fields[0]), "%s: message %q names the first field", c.name, e.Error.Message)
	}
	// The http type accepts an allowed URL.
	w := b.admin(req{method: "POST", path: "/api/tasks", body: `{"type":"http","metadata":{"url":"https://api.example.com/hook","method":"POST","body":{"a":1}}}`})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	for name, body := range map[string]string{
		"malformed":     `{"type":`,
		"syntax":        `{"type" "noop"}`,
		"unknown field": `{"type":"noop","colour":"red"}`,
		"trailing data": `{"type":"noop"} {"type":"noop"}`,
		"trailing junk": `{"type":"noop"}x`,
		"empty":         ``,
		"array":         `[{"type":"noop"}]`,
		"number":        `42`,
	} {
		requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: body}), 400, taskq.CodeInvalidInput)
		_ = name
	}
	big := `{"type":"noop","description":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: big}), http.StatusRequestEntityTooLarge, taskq.CodeInvalidInput)

	// Without Content-Length (chunked), the limit applies while reading.
	hr := newRequestNoLength("POST", "/api/tasks", big)
	hr.Header.Set("X-API-Key", testAdminKey)
	w := serve(b, hr)
	requireError(t, w, http.StatusRequestEntityTooLarge, taskq.CodeInvalidInput)

	// Unknown fields are refused on every body.
	requireError(t, b.admin(req{method: "POST", path: "/api/keys", body: `{"name":"a","role":"user","admin":true}`}), 400, taskq.CodeInvalidInput)
	requireError(t, b.do(req{method: "POST", path: "/api/auth/token", body: `{"api_key":"x","scope":"all"}`}), 400, taskq.CodeInvalidInput)
	requireError(t, b.admin(req{method: "POST", path: "/api/dlq/cleanup", body: `{"before":"2020-01-01T00:00:00Z"}`}), 400, taskq.CodeInvalidInput)
}

func TestOwnership(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	_, alice := b.newKey("alice", auth.RoleUser)
	_, bob := b.newKey("bob", auth.RoleUser)
	tk := b.createTask(alice, map[string]any{"type": "noop"})

	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks/" + tk.ID, key: alice}).Code)
	requireError(t, b.do(req{method: "GET", path: "/api/tasks/" + tk.ID, key: bob}), 404, taskq.CodeNotFound)
	requireError(t, b.do(req{method: "DELETE", path: "/api/tasks/" + tk.ID, key: bob}), 404, taskq.CodeNotFound)
	require.Empty(t, decode[listBody](t, b.do(req{method: "GET", path: "/api/tasks", key: bob})).Tasks)
	require.Len(t, decode[listBody](t, b.do(req{method: "GET", path: "/api/tasks", key: alice})).Tasks, 1)
	require.Len(t, decode[listBody](t, b.admin(req{method: "GET", path: "/api/tasks"})).Tasks, 1, "admins see every task")
	require.Equal(t, taskq.StatusPending, b.getTask(tk.ID).Status, "bob's cancel changed nothing")

	// Users may not use the DLQ and key endpoints.
	for _, r := range []req{
		{method: "GET", path: "/api/dlq"}, {method: "POST", path: "/api/dlq/x/retry"}, {method: "DELETE", path: "/api/dlq/x"},
		{method: "POST", path: "/api/dlq/cleanup"}, {method: "GET", path: "/api/keys"},
		{method: "POST", path: "/api/keys", body: `{"name":"x","role":"admin"}`}, {method: "DELETE", path: "/api/keys/x"},
	} {
		r.key = alice
		requireError(t, b.do(r), 403, taskq.CodeForbidden)
	}
	w := b.do(req{method: "DELETE", path: "/api/tasks/" + tk.ID, key: alice})
	require.Equal(t, http.StatusOK, w.Code)
}
