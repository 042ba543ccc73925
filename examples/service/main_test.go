package main

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

	"github.com/taskq/taskq/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestService runs the service against a real redis-server and
// PostgreSQL: a sign-up is enqueued over HTTP and completed by the worker,
// and ending the context shuts everything down.
func TestService(t *testing.T) {
	pg := testenv.SharedPostgres(t)
	dbURL := pg.NewDatabase(t)
	redisURL := testenv.StartRedis(t).URL()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, slog.New(slog.DiscardHandler), ln, dbURL, redisURL) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = client.Post(base+"/signup", "application/json", strings.NewReader(`{"email":"ada@example.com"}`))
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	id := body["task_id"]
	require.NotEmpty(t, id)

	require.Eventually(t, func() bool {
		r, err := client.Get(base + "/tasks/" + id)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return strings.Contains(string(b), `"status":"completed"`) && strings.Contains(string(b), `"sent_to":"ada@example.com"`)
	}, 15*time.Second, 20*time.Millisecond, "the sign-up task did not complete")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not shut down")
	}
}
