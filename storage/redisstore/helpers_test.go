package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/redisstore"
)

var prefixSeq atomic.Int64

// uniquePrefix isolates one test's data set on a shared server.
func uniquePrefix() string {
	return fmt.Sprintf("s%d-%d", time.Now().UnixNano()%1e9, prefixSeq.Add(1))
}

// newStore returns a Store on url with a unique key prefix (unless cfg
// names one), closed when the test ends.
func newStore(t testing.TB, url string, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = uniquePrefix()
	}
	s, err := redisstore.NewFromURL(url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// task returns a pending task with the fields a new task has.
func task(mods ...func(*taskq.Task)) *taskq.Task {
	n := time.Now().UTC().Truncate(time.Microsecond)
	t := &taskq.Task{
		ID: taskq.NewID(), Type: "email", Status: taskq.StatusPending, Priority: taskq.PriorityMedium,
		Created: n, Updated: n, RunAt: n, MaxRetries: 3, Queue: taskq.DefaultQueue,
		Metadata: map[string]any{"to": "a@example.com"},
	}
	for _, m := range mods {
		m(t)
	}
	return t
}
