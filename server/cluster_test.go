package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// TestOpenBackendsRedisClusterPostgres runs the server as the binary does
// (OpenBackends, then Serve on a real listener) against a three-node Redis
// Cluster and a fresh PostgreSQL database that OpenBackends migrates.
func TestOpenBackendsRedisClusterPostgres(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration")
	}
	if _, err := exec.LookPath("redis-server"); err != nil && !testenv.IntegrationRequired() {
		t.Skip("redis-server not installed")
	}
	cluster := testenv.StartRedisCluster(t)
	dbURL := testenv.SharedPostgres(t).NewDatabase(t)
	cfg := Config{RedisURL: cluster.URL(), DatabaseURL: dbURL, AdminKey: testAdminKey, ShutdownTimeout: 10 * time.Second}
	buf := &testenv.LogBuffer{}
	deps, err := OpenBackends(context.Background(), cfg.withDefaults(), slogTo(buf))
	require.NoError(t, err)
	defer func() { require.NoError(t, deps.Close()) }()
	require.Contains(t, buf.String(), "using the Redis queue")
	require.Contains(t, buf.String(), "using the PostgreSQL storage")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps.Worker = fastWorker
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, deps, ln) }()

	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		hr, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		hr.Header.Set("X-API-Key", testAdminKey)
		if body != "" {
			hr.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(hr)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, m
	}
	code, h := call("GET", "/health", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, map[string]any{"redis": "ok", "db": "ok"}, h["components"])

	var ids []string
	for _, q := range []string{`"priority":"critical"`, `"priority":"low"`, `"description":"x"`} {
		code, tk := call("POST", "/api/tasks", `{"type":"noop",`+q+`}`)
		require.Equal(t, http.StatusCreated, code)
		ids = append(ids, tk["id"].(string))
	}
	for _, id := range ids {
		waitFor(t, 10*time.Second, func() bool {
			_, tk := call("GET", "/api/tasks/"+id, "")
			return tk["status"] == string(taskq.StatusCompleted)
		}, func() string { return "task " + id + " did not complete on the cluster" })
	}
	code, tok := call("POST", "/api/auth/token", `{"api_key":"`+testAdminKey+`"}`)
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, tok["access_token"])

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestOpenBackendsRefusesEvictingRedis: a Redis that may evict the queue's
// keys (maxmemory-policy allkeys-*) does not start the server.
func TestOpenBackendsRefusesEvictingRedis(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t, testenv.WithRedisArgs("--maxmemory-policy", "allkeys-lru"))
	cfg := Config{RedisURL: r.URL(), DatabaseURL: "postgres://127.0.0.1:1/none", AdminKey: testAdminKey}
	_, err := OpenBackends(context.Background(), cfg.withDefaults(), nil)
	require.ErrorContains(t, err, "allkeys-lru")
	require.ErrorContains(t, err, "noeviction")
}
