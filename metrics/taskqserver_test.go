package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/server"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// adminKey is the bootstrap admin key of the test server.
const adminKey = "metrics-test-admin-key-0123456789"

// taskqServer is the reference server running on loopback with its HTTP
// client.
type taskqServer struct {
	t    *testing.T
	addr string // host:port
	c    *http.Client
}

// startTaskq runs server.Serve on in-memory backends and a loopback
// listener until cleanup, which cancels it and waits (bounded) for the
// graceful shutdown. cfg.AdminKey is set to adminKey.
func startTaskq(t *testing.T, cfg server.Config) *taskqServer {
	t.Helper()
	cfg.AdminKey = adminKey
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg.Addr = ln.Addr().String()
	q, store := queue.NewMemory(), storage.NewMemory()
	logs := &testenv.LogBuffer{}
	deps := server.Deps{
		Queue:  q,
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Worker: func(c *worker.Config) {
			c.HeartbeatInterval = 50 * time.Millisecond
			c.PollInterval = 50 * time.Millisecond
			c.ReapInterval = 200 * time.Millisecond
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, deps, ln) }()
	s := &taskqServer{t: t, addr: cfg.Addr, c: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		s.c.CloseIdleConnections()
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "taskq server shutdown")
		case <-time.After(20 * time.Second):
			t.Errorf("taskq server did not stop within 20s")
		}
		_ = q.Close()
		_ = store.Close()
		if t.Failed() {
			t.Logf("taskq server log:\n%s", logs.String())
		}
	})
	eventually(t, 10*time.Second, func() (bool, string) {
		code, body := s.raw(http.MethodGet, "/health", "", nil)
		return code == http.StatusOK, string(body)
	}, "taskq server not healthy")
	return s
}

// raw sends one request (body encoded as JSON unless nil) with key as
// X-API-Key, or as a bearer token when it starts with "Bearer ", and
// returns the status and body; a transport error fails the test.
func (s *taskqServer) raw(method, path, key string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, "http://"+s.addr+path, rd)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer, ok := strings.CutPrefix(key, "Bearer "); ok {
		req.Header.Set("Authorization", "Bearer "+bearer)
	} else if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := s.c.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return res.StatusCode, out
}

// do is raw that waits out 429 answers (bounded, 10s: the limits of the
// test are low on purpose) and requires the final status to be want.
func (s *taskqServer) do(want int, method, path, key string, body any) []byte {
	s.t.Helper()
	var code int
	var out []byte
	eventually(s.t, 10*time.Second, func() (bool, string) {
		code, out = s.raw(method, path, key, body)
		return code != http.StatusTooManyRequests, string(out)
	}, method+" "+path+" stayed rate limited")
	require.Equal(s.t, want, code, "%s %s: %s", method, path, out)
	return out
}

// create creates a task as key.
func (s *taskqServer) create(key string, body map[string]any) *taskq.Task {
	s.t.Helper()
	return decodeJSON[*taskq.Task](s.t, s.do(http.StatusCreated, http.MethodPost, "/api/tasks", key, body))
}

// waitStatus polls the task as key until it has status want (10s bound).
func (s *taskqServer) waitStatus(key, id string, want taskq.TaskStatus) *taskq.Task {
	s.t.Helper()
	var last *taskq.Task
	eventually(s.t, 10*time.Second, func() (bool, string) {
		code, body := s.raw(http.MethodGet, "/api/tasks/"+id, key, nil)
		if code != http.StatusOK {
			return false, string(body)
		}
		last = decodeJSON[*taskq.Task](s.t, body)
		return last.Status == want, string(last.Status)
	}, "task "+id+" did not reach "+string(want))
	return last
}

// newKey creates an API key with role as the admin and returns its id
// and secret.
func (s *taskqServer) newKey(name string, role auth.Role) (id, secret string) {
	s.t.Helper()
	k := decodeJSON[map[string]any](s.t, s.do(http.StatusCreated, http.MethodPost, "/api/keys", adminKey,
		map[string]any{"name": name, "role": role}))
	return k["id"].(string), k["key"].(string)
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "body: %s", b)
	return v
}
