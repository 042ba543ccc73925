package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/server"
	"github.com/taskq/taskq/worker"
)

const adminKey = "cli-test-admin-key-0123456789"

// startServer runs the reference server (in-memory backends) on a
// loopback listener until the test ends, and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := server.Config{AdminKey: adminKey, ShutdownTimeout: 5 * time.Second,
		RetryBaseDelay: 10 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond}
	cfg.DLQ.Backoff = 10 * time.Millisecond
	// "tasks wait" polls every 10-20ms: the default per-principal rate
	// limit (50/s) would answer 429 and end a wait early.
	cfg.RateLimit, cfg.RateBurst = 100000, 100000
	// A schedule that never ticks during a test, for "schedules list".
	cfg.Schedules = []server.ScheduleConfig{{Name: "nightly", Spec: "0 3 * * *", Type: "noop"}}
	deps := server.Deps{
		Logger: slog.New(slog.DiscardHandler),
		Worker: func(c *worker.Config) {
			c.HeartbeatInterval = 50 * time.Millisecond
			c.PollInterval = 50 * time.Millisecond
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, deps, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return "http://" + ln.Addr().String()
}

// cli runs the program with env (nothing else of the process's
// environment) and returns its exit code and outputs.
type result struct {
	code           int
	stdout, stderr string
}

func cli(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

// ok requires exit code 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return r
}

func (r result) exit(t *testing.T, code int) result {
	t.Helper()
	require.Equal(t, code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return r
}

func jsonOf[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), "stdout: %s", r.stdout)
	return v
}

// header returns the first line of a table, split into columns.
func header(t *testing.T, out string) []string {
	t.Helper()
	line, _, _ := strings.Cut(out, "\n")
	return strings.Fields(line)
}

// TestCommandsAgainstServer runs every command against a real server:
// keys, tasks (enqueue, list, get, wait, cancel), the DLQ (a failing task
// dead-lettered and retried, one and in bulk; delete; cleanup), revoke;
// table and JSON outputs and the exit codes.
func TestCommandsAgainstServer(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	admin := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": adminKey}

	// keys create: the secret is shown once; it works as a user key.
	created := jsonOf[map[string]any](t, cli(t, admin, "keys", "create", "ci", "--role", "user", "--expires-in", "24h", "-o", "json").ok(t))
	userID, userKey := created["id"].(string), created["key"].(string)
	require.NotEmpty(t, userKey)
	require.Equal(t, "user", created["role"])
	require.NotNil(t, created["expires_at"])
	user := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": userKey}
	tbl := cli(t, admin, "keys", "create", "--name", "other").ok(t)
	require.Equal(t, []string{"ID", "NAME", "ROLE", "EXPIRES", "KEY"}, header(t, tbl.stdout))
	require.Contains(t, tbl.stdout, "tq_")
	require.Contains(t, tbl.stderr, "shown only now")

	keys := cli(t, admin, "keys", "list").ok(t)
	require.Equal(t, []string{"ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST_USED", "REVOKED"}, header(t, keys.stdout))
	require.Contains(t, keys.stdout, userID)
	require.NotContains(t, keys.stdout, userKey, "never the secret")
	klist := jsonOf[map[string][]map[string]any](t, cli(t, admin, "-o", "json", "keys", "list").ok(t))
	require.Len(t, klist["keys"], 2)

	// tasks enqueue (as the user), with an Idempotency-Key replayed.
	enq := cli(t, user, "tasks", "enqueue", "sleep", "--metadata", `{"duration_ms":50}`, "--description", "welcome mail",
		"--priority", "high", "--idempotency-key", "welcome-1", "-o", "json").ok(t)
	tk := jsonOf[task](t, enq)
	require.Equal(t, "sleep", tk.Type)
	require.Equal(t, 2, tk.Priority)
	require.Equal(t, userID, tk.Owner)
	again := jsonOf[task](t, cli(t, user, "tasks", "enqueue", "sleep", "--metadata", `{"duration_ms":50}`, "--description", "welcome mail",
		"--priority", "high", "--idempotency-key", "welcome-1", "-o", "json").ok(t))
	require.Equal(t, tk.ID, again.ID, "the replay returns the same task")
	cli(t, user, "tasks", "enqueue", "sleep", "--metadata", `{"duration_ms":99}`, "--idempotency-key", "welcome-1").exit(t, exitConflict)

	// A unique task (the admin's: the user's tasks are counted below): the
	// second enqueue prints the first task.
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	u1 := jsonOf[task](t, cli(t, admin, "tasks", "enqueue", "noop", "--run-at", later, "--unique-key", "nightly",
		"--unique-states", "pending,running", "-o", "json").ok(t))
	u2 := jsonOf[task](t, cli(t, admin, "tasks", "enqueue", "noop", "--run-at", later, "--unique-key", "nightly",
		"--unique-states", "pending,running", "-o", "json").ok(t))
	require.Equal(t, u1.ID, u2.ID, "the unique task exists: it is returned")
	cli(t, admin, "tasks", "enqueue", "noop", "--unique-states", "done").exit(t, exitInvalid)
	cli(t, admin, "tasks", "cancel", u1.ID).ok(t)

	// tasks wait until completed, then get as a table and as JSON.
	waited := cli(t, user, "tasks", "wait", tk.ID, "--timeout", "10s", "--interval", "20ms").ok(t)
	require.Regexp(t, `(?m)^status\s+completed$`, waited.stdout)
	got := cli(t, user, "tasks", "get", tk.ID).ok(t)
	require.Equal(t, []string{"FIELD", "VALUE"}, header(t, got.stdout))
	require.Regexp(t, `(?m)^id\s+`+tk.ID+`$`, got.stdout)
	require.Regexp(t, `(?m)^priority\s+high$`, got.stdout)
	require.Regexp(t, `(?m)^result\s+\{"slept_ms":50\}$`, got.stdout)
	gj := jsonOf[task](t, cli(t, user, "tasks", "get", tk.ID, "-o", "json").ok(t))
	require.Equal(t, "completed", gj.Status)
	require.JSONEq(t, `{"slept_ms":50}`, string(gj.Result))

	// tasks list: table and JSON; filters reach the server.
	list := cli(t, user, "tasks", "list").ok(t)
	require.Equal(t, []string{"ID", "TYPE", "STATUS", "PRIORITY", "QUEUE", "ATTEMPTS", "CREATED", "DESCRIPTION"}, header(t, list.stdout))
	require.Contains(t, list.stdout, tk.ID)
	require.Contains(t, list.stdout, "welcome mail")
	page := jsonOf[taskPage](t, cli(t, user, "tasks", "list", "--status", "completed", "-o", "json").ok(t))
	require.Len(t, page.Tasks, 1)
	require.Nil(t, page.NextCursor)
	empty := jsonOf[taskPage](t, cli(t, user, "tasks", "list", "--status", "pending,running", "-o", "json").ok(t))
	require.Empty(t, empty.Tasks)
	cli(t, user, "tasks", "list", "--status", "done").exit(t, exitInvalid)

	// tasks cancel: a long task is cancelled; cancelling again is a conflict.
	long := jsonOf[task](t, cli(t, user, "-o", "json", "tasks", "enqueue", "--type", "sleep", "--metadata", `{"duration_ms":60000}`).ok(t))
	cancelled := jsonOf[task](t, cli(t, user, "tasks", "cancel", long.ID, "-o", "json").ok(t))
	require.Equal(t, "cancelled", cancelled.Status)
	cli(t, user, "tasks", "cancel", long.ID).exit(t, exitConflict)
	// wait on a task that ended cancelled: printed, exit 1.
	w := cli(t, user, "tasks", "wait", long.ID, "--timeout", "5s").exit(t, exitError)
	require.Contains(t, w.stderr, "ended cancelled")

	// Paging with --all follows the cursor.
	for range 3 {
		cli(t, user, "tasks", "enqueue", "noop").ok(t)
	}
	p1 := cli(t, user, "tasks", "list", "--limit", "2").ok(t)
	require.Contains(t, p1.stderr, "more: --cursor ")
	allPages := jsonOf[taskPage](t, cli(t, user, "tasks", "list", "--limit", "2", "--all", "-o", "json").ok(t))
	require.Len(t, allPages.Tasks, 5)

	// The DLQ: a failing task is dead-lettered, listed and retried.
	failing := jsonOf[task](t, cli(t, admin, "-o", "json", "tasks", "enqueue", "fail", "--metadata", `{"retryable":false}`, "--description", "always fails").ok(t))
	dead := cli(t, admin, "tasks", "wait", failing.ID, "--timeout", "10s", "--interval", "20ms", "-o", "json").exit(t, exitError)
	require.Equal(t, "dead_letter", jsonOf[task](t, dead).Status)
	dl := cli(t, admin, "dlq", "list").ok(t)
	require.Equal(t, []string{"ID", "TYPE", "STATUS", "PRIORITY", "QUEUE", "ATTEMPTS", "DEAD_LETTERED", "DESCRIPTION"}, header(t, dl.stdout))
	require.Contains(t, dl.stdout, failing.ID)
	retried := jsonOf[task](t, cli(t, admin, "dlq", "retry", failing.ID, "-o", "json").ok(t))
	require.Equal(t, "pending", retried.Status)
	require.Equal(t, 1, retried.DLQRetryCount)
	waitDLQ(t, admin, failing.ID, 2)

	// Bulk retry by filter: two more failing tasks, one of another type
	// (flaky dead-letters after its retries); --limit bounds the count.
	f2 := jsonOf[task](t, cli(t, admin, "-o", "json", "tasks", "enqueue", "fail", "--metadata", `{"retryable":false}`).ok(t))
	waitDLQ(t, admin, f2.ID, 1)
	bulk := cli(t, admin, "dlq", "retry", "--type", "fail", "--code", "task_execution_failed", "--since", "1h", "--limit", "1").ok(t)
	require.Equal(t, []string{"ID", "RESULT"}, header(t, bulk.stdout))
	require.Regexp(t, `(?m)^`+failing.ID+`\s+retried$`, bulk.stdout, "oldest first")
	require.Contains(t, bulk.stdout, "retried 1, failed 0")
	require.Contains(t, bulk.stderr, "more entries match", "f2 matches too")
	waitDLQ(t, admin, f2.ID, 1)
	waitDLQ(t, admin, failing.ID, 2)
	bj := jsonOf[bulkRetry](t, cli(t, admin, "dlq", "retry", "--all", "--type", "fail", "-o", "json").ok(t))
	require.Equal(t, 2, bj.RetriedCount)
	require.ElementsMatch(t, []string{failing.ID, f2.ID}, bj.Retried)
	require.False(t, bj.More)
	none := cli(t, admin, "dlq", "retry", "--type", "noop").ok(t)
	require.Contains(t, none.stdout, "nothing to retry")
	old := jsonOf[bulkRetry](t, cli(t, admin, "dlq", "retry", "--until", "1h", "-o", "json").ok(t))
	require.Zero(t, old.RetriedCount+old.FailedCount, "nothing entered the DLQ an hour ago")
	// The DLQ retry limit (default 3) is a conflict.
	waitDLQ(t, admin, failing.ID, 2)
	waitDLQ(t, admin, f2.ID, 1)
	for range 5 {
		if cli(t, admin, "dlq", "retry", failing.ID).code != exitOK {
			break
		}
		waitDLQ(t, admin, failing.ID, 1)
	}
	cli(t, admin, "dlq", "retry", failing.ID).exit(t, exitConflict)
	// In bulk, an entry past the limit is reported and the others are
	// retried; the exit code is the conflict's.
	waitDLQ(t, admin, f2.ID, 1)
	partial := cli(t, admin, "dlq", "retry", "--type", "fail").exit(t, exitConflict)
	require.Regexp(t, `(?m)^`+failing.ID+`\s+failed: conflict: DLQ retry limit reached`, partial.stdout)
	require.Regexp(t, `(?m)^`+f2.ID+`\s+retried$`, partial.stdout)
	require.Contains(t, partial.stderr, "1 of 2 matching entries could not be retried")

	// dlq delete, then cleanup of the rest.
	del := cli(t, admin, "dlq", "delete", failing.ID, "-o", "json").ok(t)
	require.Equal(t, map[string]string{"id": failing.ID, "result": "deleted"}, jsonOf[map[string]string](t, del))
	cli(t, admin, "dlq", "delete", failing.ID).exit(t, exitNotFound)
	cli(t, admin, "tasks", "get", failing.ID).exit(t, exitNotFound)
	waitDLQ(t, admin, f2.ID, 1)
	cl := cli(t, admin, "dlq", "cleanup", "--older-than", "2099-01-01T00:00:00Z").ok(t)
	require.Equal(t, []string{"CLEANED", "REMAINING"}, header(t, cl.stdout))
	require.Regexp(t, `(?m)^1\s+0$`, cl.stdout)
	cj := jsonOf[map[string]int](t, cli(t, admin, "dlq", "cleanup", "--older-than", "1h", "-o", "json").ok(t))
	require.Equal(t, map[string]int{"cleaned": 0, "remaining": 0}, cj)

	// A user is not an admin: 4; a wrong key: 4; a missing id: 3.
	cli(t, user, "dlq", "list").exit(t, exitAuth)
	bad := cli(t, map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": "tq_wrong"}, "tasks", "list").exit(t, exitAuth)
	require.Contains(t, bad.stderr, "HTTP 401")
	cli(t, map[string]string{"TASKQ_URL": base}, "tasks", "list").exit(t, exitAuth)
	miss := cli(t, user, "tasks", "get", "01900000-0000-7000-8000-000000000000").exit(t, exitNotFound)
	require.Contains(t, miss.stderr, "task not found")
	cli(t, user, "tasks", "enqueue", "no.such.type").exit(t, exitInvalid)

	// keys revoke: the user's key stops working at once.
	rv := cli(t, admin, "keys", "revoke", userID).ok(t)
	require.Contains(t, rv.stdout, "revoked key "+userID)
	cli(t, user, "tasks", "list").exit(t, exitAuth)
	cli(t, admin, "keys", "revoke", "no-such-key").exit(t, exitNotFound)
	revoked := jsonOf[map[string][]map[string]any](t, cli(t, admin, "keys", "list", "-o", "json").ok(t))
	for _, k := range revoked["keys"] {
		if k["id"] == userID {
			require.NotNil(t, k["revoked_at"])
		}
	}
}

// waitDLQ runs tasks wait until the task is dead-lettered with the given
// number of attempts at least.
func waitDLQ(t *testing.T, env map[string]string, id string, attempts int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := cli(t, env, "tasks", "wait", id, "--timeout", "10s", "--interval", "10ms", "-o", "json")
		tk := jsonOf[task](t, r)
		if tk.Status == "dead_letter" && tk.Attempts >= attempts {
			return
		}
		require.True(t, time.Now().Before(deadline), "task %s: %s after %d attempts", id, tk.Status, tk.Attempts)
	}
}

// TestWaitTimesOut: tasks wait gives up with exit code 7 and prints the
// task as it is.
func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	env := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": adminKey}
	tk := jsonOf[task](t, cli(t, env, "-o", "json", "tasks", "enqueue", "sleep", "--metadata", `{"duration_ms":60000}`,
		"--run-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)).ok(t))
	r := cli(t, env, "tasks", "wait", tk.ID, "--timeout", "100ms", "--interval", "20ms").exit(t, exitTimeout)
	require.Regexp(t, `(?m)^status\s+pending$`, r.stdout)
	require.Contains(t, r.stderr, "still pending after 100ms")
	cli(t, env, "tasks", "cancel", tk.ID).ok(t)
}

// TestQueues: queues list shows the server's queues with their counts
// and paused flag; pause and resume (idempotent) print the queue as a
// one-row table or as JSON, and the list follows; a paused queue accepts
// a task, run once it is resumed (that the worker starts none meanwhile is
// the server's tests' business: the worker's view of a pause may lag by
// up to a second). An unknown queue is exit code 3, a
// user key exit code 4, and a server without the endpoints (here: the
// URL of a real server under a path it does not serve) exit code 8.
func TestQueues(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	env := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": adminKey}
	r := cli(t, env, "queues", "list").ok(t)
	require.Equal(t, []string{"NAME", "PAUSED", "SIZE", "PENDING", "RUNNING", "READY", "SCHEDULED",
		"FAILED", "DEAD_LETTER", "OLDEST_PENDING"}, header(t, r.stdout))
	require.Regexp(t, `(?m)^default\s+false\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+-$`, r.stdout)

	for range 2 {
		r = cli(t, env, "queues", "pause", "default").ok(t)
		require.Equal(t, []string{"NAME", "PAUSED", "SIZE", "PENDING", "RUNNING", "READY", "SCHEDULED"}, header(t, r.stdout))
		require.Regexp(t, `(?m)^default\s+true\s+0\s+0\s+0\s+0\s+0$`, r.stdout)
	}
	tk := jsonOf[task](t, cli(t, env, "-o", "json", "tasks", "enqueue", "noop").ok(t))
	r = cli(t, env, "queues", "list", "-o", "json").ok(t)
	var out struct {
		Queues []map[string]any `json:"queues"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Queues, 1)
	require.Equal(t, "default", out.Queues[0]["name"])
	require.Equal(t, true, out.Queues[0]["paused"])

	resumed := jsonOf[map[string]any](t, cli(t, env, "queues", "resume", "default", "-o", "json").ok(t))
	require.Equal(t, "default", resumed["name"])
	require.Equal(t, false, resumed["paused"])
	cli(t, env, "queues", "resume", "default").ok(t)
	cli(t, env, "tasks", "wait", tk.ID, "--timeout", "10s", "--interval", "20ms").ok(t)

	r = cli(t, env, "queues", "pause", "nosuch").exit(t, exitNotFound)
	require.Contains(t, r.stderr, "no such queue")
	require.Empty(t, r.stdout)
	created := jsonOf[map[string]any](t, cli(t, env, "keys", "create", "u", "--role", "user", "-o", "json").ok(t))
	user := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": created["key"].(string)}
	cli(t, user, "queues", "pause", "default").exit(t, exitAuth)
	cli(t, user, "queues", "list").exit(t, exitAuth)

	older := map[string]string{"TASKQ_URL": base + "/older", "TASKQ_API_KEY": adminKey}
	for _, args := range [][]string{{"queues", "pause", "default"}, {"queues", "resume", "default"}, {"queues", "list"}} {
		r := cli(t, older, args...).exit(t, exitUnsupported)
		require.Contains(t, r.stderr, "server does not support this (404)", args)
		require.Empty(t, r.stdout)
	}
}

// TestSchedulesList: the server's periodic schedules as a table and as
// JSON.
func TestSchedulesList(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	env := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": adminKey}
	r := cli(t, env, "schedules", "list").ok(t)
	require.Regexp(t, `(?m)^NAME\s+`, r.stdout)
	require.Regexp(t, `(?m)^nightly\s+.*0 3 \* \* \*\s+noop`, r.stdout)
	r = cli(t, env, "schedules", "list", "-o", "json").ok(t)
	var out struct {
		Schedules []struct {
			Name, Spec, Type string
			NextRun          *time.Time `json:"next_run"`
		} `json:"schedules"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Schedules, 1)
	require.Equal(t, "nightly", out.Schedules[0].Name)
	require.Equal(t, "noop", out.Schedules[0].Type)
}

// TestConfigSources: flags win over the environment, the environment over
// the config file, which must be private.
func TestConfigSources(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "taskq", "config.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	write := func(url, key string, mode os.FileMode) {
		b, err := json.Marshal(fileConfig{URL: url, APIKey: key})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, mode))
		require.NoError(t, os.Chmod(path, mode))
	}
	write(base, adminKey, 0o600)
	xdg := map[string]string{"XDG_CONFIG_HOME": dir}
	cli(t, xdg, "keys", "list").ok(t)

	// The environment wins over the file, a flag over the environment.
	envWrong := map[string]string{"XDG_CONFIG_HOME": dir, "TASKQ_API_KEY": "wrong"}
	cli(t, envWrong, "keys", "list").exit(t, exitAuth)
	cli(t, envWrong, "keys", "list", "--api-key", adminKey).ok(t)
	cli(t, envWrong, "--api-key", adminKey, "keys", "list").ok(t)
	cli(t, xdg, "--url", "http://127.0.0.1:1", "keys", "list").exit(t, exitError)

	// A file others may read is refused.
	write(base, adminKey, 0o644)
	r := cli(t, xdg, "keys", "list").exit(t, exitUsage)
	require.Contains(t, r.stderr, "chmod 600")

	// An explicit file must exist; a missing default one is fine.
	cli(t, map[string]string{"TASKQ_CONFIG": filepath.Join(dir, "nope.json"), "TASKQ_URL": base}, "keys", "list").exit(t, exitUsage)
	cli(t, map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "TASKQ_URL": base, "TASKQ_API_KEY": adminKey}, "keys", "list").ok(t)
}

// TestUsage: bad command lines exit 2 without calling a server; help
// documents the exit codes.
func TestUsage(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TASKQ_URL": "http://127.0.0.1:1", "XDG_CONFIG_HOME": t.TempDir()}
	for _, args := range [][]string{
		{}, {"nope"}, {"tasks"}, {"tasks", "nope"}, {"tasks", "get"}, {"tasks", "get", "a", "b"},
		{"tasks", "list", "--bogus"}, {"tasks", "list", "-o", "yaml"}, {"tasks", "enqueue"},
		{"tasks", "enqueue", "noop", "--metadata", "[1]"}, {"tasks", "enqueue", "noop", "--priority", "9"},
		{"tasks", "enqueue", "noop", "--run-at", "tomorrow"}, {"dlq", "retry"}, {"dlq", "retry", "x", "--all"}, {"dlq", "retry", "x", "--type", "fail"},
		{"dlq", "retry", "--limit", "1001"}, {"dlq", "retry", "--since", "yesterday"},
		{"dlq", "cleanup", "--older-than", "yesterday"}, {"keys", "create"}, {"queues", "pause"},
		{"--url", "ftp://x", "tasks", "list"},
	} {
		r := cli(t, env, args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		require.NotEmpty(t, r.stderr, args)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"tasks", "list", "-h"}} {
		r := cli(t, env, args...).ok(t)
		require.Contains(t, r.stdout, "Exit codes:", args)
	}
	h := cli(t, env, "help").ok(t)
	for _, s := range []string{"Exit codes:", "tasks wait", "dlq retry", "TASKQ_API_KEY", "8  not supported"} {
		require.Contains(t, h.stdout, s)
	}
}
