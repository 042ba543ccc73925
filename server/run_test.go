package server

import (
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
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestServeDrainsOnShutdown serves on a real listener, starts a task that
// runs for a while, ends the context (as main does on SIGTERM) and checks
// that Serve stops accepting, lets the task finish and returns nil.
func TestServeDrainsOnShutdown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	store, q := storage.NewMemory(), queue.NewMemory()
	buf := &testenv.LogBuffer{}
	deps := Deps{Store: store, Queue: q, Logger: slog.New(slog.NewTextHandler(buf, nil)), Worker: fastWorker}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Config{AdminKey: testAdminKey, ShutdownTimeout: 10 * time.Second}, deps, ln)
	}()

	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	hr, err := http.NewRequest("POST", base+"/api/tasks", strings.NewReader(`{"type":"sleep","metadata":{"duration_ms":400}}`))
	require.NoError(t, err)
	hr.Header.Set("X-API-Key", testAdminKey)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hr)
	require.NoError(t, err)
	var tk taskq.Task
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tk))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	waitFor(t, 5*time.Second, func() bool {
		got, err := store.GetTask(context.Background(), tk.ID)
		return err == nil && got.Status == taskq.StatusRunning
	}, func() string { return "the task did not start" })

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	got, err := store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, got.Status, "the running task was drained, not abandoned")
	_, err = client.Get(base + "/health")
	require.Error(t, err, "no longer accepting")
	logs := buf.String()
	require.Contains(t, logs, "taskq server listening")
	require.Contains(t, logs, "shutdown complete")
}

// TestServeGivesTasksBackOnTimeout: a handler longer than the shutdown
// timeout is cancelled and its task given back (pending again), and Serve
// reports the timeout.
func TestServeGivesTasksBackOnTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	store := storage.NewMemory()
	deps := Deps{Store: store, Worker: fastWorker}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Config{AdminKey: testAdminKey, ShutdownTimeout: 200 * time.Millisecond}, deps, ln)
	}()
	hr, err := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/tasks", strings.NewReader(`{"type":"sleep","metadata":{"duration_ms":60000}}`))
	require.NoError(t, err)
	hr.Header.Set("X-API-Key", testAdminKey)
	hr.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(hr)
	require.NoError(t, err)
	var tk taskq.Task
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tk))
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitFor(t, 5*time.Second, func() bool {
		got, err := store.GetTask(context.Background(), tk.ID)
		return err == nil && got.Status == taskq.StatusRunning
	}, func() string { return "the task did not start" })
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrShutdownTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	got, err := store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.False(t, got.Status.Terminal(), "the task is not lost: %s", got.Status)
	require.Equal(t, 0, got.RetryCount, "a shutdown does not use a retry")
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	err := Run(context.Background(), Config{LogFormat: "xml"}, nil)
	require.ErrorContains(t, err, "TASKQ_LOG_FORMAT")
	err = Run(context.Background(), Config{DatabaseURL: "postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=1"}, nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret", "errors never repeat a password")
}
