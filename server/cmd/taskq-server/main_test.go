package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
)

// TestMain runs main when the test binary is re-executed as the server.
func TestMain(m *testing.M) {
	if os.Getenv("TASKQ_TEST_RUN_MAIN") == "1" {
		os.Args = os.Args[:1] // the server's own flags only
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSignalShutdown starts the binary with no configuration but a free
// port, checks that it serves on the in-memory backends and says so, then
// sends SIGTERM (and, in a second run, SIGINT) and expects exit code 0.
func TestSignalShutdown(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "TASKQ_TEST_RUN_MAIN=1", "TASKQ_ADDR=127.0.0.1:0", "TASKQ_LOG_FORMAT=json")
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			var logs bytes.Buffer
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			addrRe := regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
			var addr string
			deadline := time.After(20 * time.Second)
			for addr == "" {
				select {
				case l, ok := <-lines:
					require.True(t, ok, "server exited early:\n%s", logs.String())
					logs.WriteString(l + "\n")
					if m := addrRe.FindStringSubmatch(l); m != nil && strings.Contains(l, "listening") {
						addr = m[1]
					}
				case <-deadline:
					t.Fatalf("no listening line:\n%s", logs.String())
				}
			}
			require.Contains(t, logs.String(), "in-memory queue and storage")
			require.Contains(t, logs.String(), `"deployment":"memory"`)
			require.Contains(t, logs.String(), `"level":"WARN","msg":"TASKQ_JWT_SECRET is empty`)

			client := &http.Client{Timeout: 5 * time.Second}
			resp, err := client.Get("http://" + addr + "/health")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			client.CloseIdleConnections()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.JSONEq(t, `{"status":"ok","deployment":"memory","components":{"redis":"not_configured","db":"not_configured"}}`, string(body))

			// With no TASKQ_ADMIN_KEY on memory storage, a key is generated
			// so the embedded default is usable; stderr is no terminal here,
			// so it goes to a 0600 file the log names, never to the log.
			require.NotRegexp(t, `tq_[A-Za-z0-9_-]{20,}`, logs.String(), "the generated key is not logged")
			fm := regexp.MustCompile(`"admin_key_file":"([^"]+)"`).FindStringSubmatch(logs.String())
			require.NotNil(t, fm, logs.String())
			fi, err := os.Stat(fm[1])
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			raw, err := os.ReadFile(fm[1])
			require.NoError(t, err)
			m := []string{"", strings.TrimSpace(string(raw))}
			hr, err := http.NewRequest("POST", "http://"+addr+"/api/tasks", strings.NewReader(`{"type":"noop"}`))
			require.NoError(t, err)
			hr.Header.Set("X-API-Key", m[1])
			hr.Header.Set("Content-Type", "application/json")
			resp, err = client.Do(hr)
			require.NoError(t, err)
			resp.Body.Close()
			client.CloseIdleConnections()
			require.Equal(t, http.StatusCreated, resp.StatusCode)

			require.NoError(t, cmd.Process.Signal(sig))
			for l := range lines {
				logs.WriteString(l + "\n")
			}
			err = cmd.Wait()
			require.NoError(t, err, "exit status after %s:\n%s", sig, logs.String())
			_, err = os.Stat(fm[1])
			require.ErrorIs(t, err, os.ErrNotExist, "the key file is removed at shutdown")
			require.Contains(t, logs.String(), "shutdown complete")
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run(nil, func(k string) string {
		if k == "TASKQ_CONCURRENCY" {
			return "many"
		}
		return ""
	}, &out, &errOut)
	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), "TASKQ_CONCURRENCY")

	out.Reset()
	require.Equal(t, 0, run([]string{"-help"}, func(string) string { return "" }, &out, &errOut))
	require.Contains(t, out.String(), "TASKQ_REDIS_URL")
}

// TestRepairSubcommand runs "taskq-server repair" on a PostgreSQL storage
// holding a record with a year-10000 time written by SQL: it is clamped,
// the result printed as JSON, and the exit code 0. On the in-memory
// storage there is nothing to repair.
func TestRepairSubcommand(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	require.Equal(t, 0, run([]string{"repair"}, env(nil), &out, &errOut), errOut.String())
	require.JSONEq(t, `{"scanned":0,"repaired":0,"deleted":0,"failed":0}`, out.String())

	if _, err := exec.LookPath("initdb"); err != nil && !testenv.IntegrationRequired() {
		t.Skip("PostgreSQL not installed")
	}
	pg := testenv.StartPostgres(t)
	url := pg.NewDatabase(t)
	ctx := t.Context()
	store, err := postgres.Open(ctx, url, postgres.Config{})
	require.NoError(t, err)
	defer store.Close()
	for i := range 3 {
		now := time.Now().UTC()
		tk := &taskq.Task{ID: taskq.NewID(), Type: "noop", Status: taskq.StatusPending, Queue: taskq.DefaultQueue,
			Created: now, Updated: now, RunAt: now}
		_, err := store.CreateTask(ctx, tk)
		require.NoError(t, err)
		if i == 0 {
			_, err = store.Pool().Exec(ctx, "UPDATE taskq.tasks SET run_at = '10000-06-01T00:00:00Z' WHERE id = $1", tk.ID)
			require.NoError(t, err)
		}
	}
	out.Reset()
	errOut.Reset()
	require.Equal(t, 0, run([]string{"repair", "--database-url", url}, env(nil), &out, &errOut), errOut.String())
	require.JSONEq(t, `{"scanned":3,"repaired":1,"deleted":0,"failed":0}`, out.String())
}

// TestRedisAlone starts the binary with TASKQ_REDIS_URL only, a
// configuration it once refused: it now serves on Redis alone, says so in
// its log and on /health, keeps a task created over HTTP in Redis, and
// exits 0 on SIGTERM.
func TestRedisAlone(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t, testenv.WithAppendOnly())
	const admin = "binary-admin-key-0123456789"
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TASKQ_TEST_RUN_MAIN=1", "TASKQ_ADDR=127.0.0.1:0", "TASKQ_LOG_FORMAT=json",
		"TASKQ_REDIS_URL="+r.URL(), "TASKQ_ADMIN_KEY="+admin, "TASKQ_DATABASE_URL=")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var logs bytes.Buffer
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrRe := regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
	var addr string
	deadline := time.After(20 * time.Second)
	for addr == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "server exited early:\n%s", logs.String())
			logs.WriteString(l + "\n")
			if m := addrRe.FindStringSubmatch(l); m != nil && strings.Contains(l, "listening") {
				require.Contains(t, l, `"deployment":"redis"`)
				addr = m[1]
			}
		case <-deadline:
			t.Fatalf("no listening line:\n%s", logs.String())
		}
	}
	require.Contains(t, logs.String(), `"msg":"backends open","deployment":"redis"`)
	require.Contains(t, logs.String(), "using the Redis storage")

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr + "/health")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"status":"ok","deployment":"redis","components":{"redis":"ok","db":"not_configured"}}`, string(body))
	hr, err := http.NewRequest("POST", "http://"+addr+"/api/tasks", strings.NewReader(`{"type":"noop"}`))
	require.NoError(t, err)
	hr.Header.Set("X-API-Key", admin)
	hr.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(hr)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	n, err := r.Do("EXISTS", "{taskq}:all")
	require.NoError(t, err)
	require.Equal(t, "1", n, "the task record is in Redis")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	for l := range lines {
		logs.WriteString(l + "\n")
	}
	require.NoError(t, cmd.Wait(), "exit status after SIGTERM:\n%s", logs.String())
}
