package redisqueue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/queue/redisqueue"
)

var prefixSeq atomic.Int64

// uniquePrefix isolates one test's keys (and its queue-name set) on a shared
// server.
func uniquePrefix() string {
	return fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, prefixSeq.Add(1))
}

// newQueue returns a fresh Queue on url with a unique key prefix, closed
// when the test ends.
func newQueue(t testing.TB, url string, cfg redisqueue.Config) *redisqueue.Queue {
	t.Helper()
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = uniquePrefix()
	}
	q, err := redisqueue.NewFromURL(url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, q.Close()) })
	return q
}

// waitFor polls cond until it holds or d elapses.
func waitFor(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", d, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var farFuture = time.Now().Add(24 * time.Hour)

const farTTL = time.Hour
