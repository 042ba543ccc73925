package redisqueue_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestCloseEndsGoroutines closes a Queue while concurrent Enqueue calls are
// merged and stuck in Redis (writes paused with CLIENT PAUSE): every call
// ends at once with the "closed" error, no goroutine of the package is left
// when Close returns, later calls fail the same way instead of hanging,
// and once the caller's client is closed no goroutine at all remains. It
// is not parallel, so goleak sees only its own goroutines.
func TestCloseEndsGoroutines(t *testing.T) {
	srv := testenv.StartRedis(t)
	leaks := append([]goleak.Option{goleak.IgnoreCurrent()}, leakOptions...)
	ctx := ctxT(t)

	// The client is the caller's (New): closing the Queue leaves it open,
	// so only the Queue's own work can end the merged calls.
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	require.NoError(t, err)
	q, err := redisqueue.New(client, redisqueue.Config{KeyPrefix: uniquePrefix()})
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(ctx, "q", entry("first", 1))) // registers the name
	require.NoError(t, q.Wait(ctx, "q", time.Second))          // starts a subscription

	_, err = srv.Do("CLIENT", "PAUSE", "30000", "WRITE")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = srv.Do("CLIENT", "UNPAUSE") })

	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- q.Enqueue(context.Background(), "q", entry(fmt.Sprint("e", i), 1)) }()
	}
	blocked := func() bool {
		info, err := srv.Do("INFO", "clients")
		require.NoError(t, err)
		return strings.Contains(info, "blocked_clients:1")
	}
	waitFor(t, 10*time.Second, blocked, "a merged enqueue call held by CLIENT PAUSE")

	require.NoError(t, q.Close())
	deadline := time.After(5 * time.Second)
	for range n {
		select {
		case err := <-errs:
			require.ErrorIs(t, err, taskq.ErrUnavailable)
			require.ErrorContains(t, err, "queue is closed")
		case <-deadline:
			t.Fatalf("Enqueue still running 5s after Close:\n%s", strings.Join(packageGoroutines(), "\n\n"))
		}
	}
	require.Empty(t, packageGoroutines(), "goroutines of redisqueue after Close")

	for name, call := range map[string]func() error{
		"Enqueue":     func() error { return q.Enqueue(ctx, "q", entry("late", 1)) },
		"BindStorage": func() error { return q.BindStorage(ctx, "s") },
		"Wait":        func() error { return q.Wait(ctx, "other", time.Minute) },
		"Lease": func() error {
			_, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute})
			return err
		},
	} {
		require.ErrorContains(t, call(), "queue is closed", name)
	}
	require.NoError(t, q.Close(), "Close is idempotent")

	_, err = srv.Do("CLIENT", "UNPAUSE")
	require.NoError(t, err)
	client.Close()
	goleak.VerifyNone(t, leaks...)
}

// packageGoroutines returns the stacks of goroutines running code of
// package redisqueue (not of its tests).
func packageGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("taskq/queue/redisqueue.")) {
			out = append(out, string(g))
		}
	}
	return out
}
