package worker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// TestLimits: a type capped at 2 runs at most 2 at once across two workers
// sharing the backend, each with room for more; a slot that frees up goes
// to a waiting task at once; other types are not held back; and the
// capped tasks wait without using a retry (one attempt each).
func TestLimits(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			testLimits(t, be.prepare(t))
		})
	}
}

func testLimits(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency = 4
	cfg.LimitPoll = 20 * time.Millisecond
	cfg.Limits = &taskq.Limits{TypeConcurrency: map[string]int{"report": 2}}
	b := mk(t, cfg)
	other, err := worker.New(b.store, b.otherQueue(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = other.Stop(ctx)
	})

	var running, peak, done atomic.Int32
	release := make(chan struct{})
	report := func(ctx context.Context, _ *taskq.Task) (any, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer running.Add(-1)
		defer done.Add(1)
		select {
		case <-release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	quick := func(context.Context, *taskq.Task) (any, error) { return nil, nil }
	for _, w := range []*worker.Worker{b.worker, other} {
		w.HandleFunc("report", report)
		w.HandleFunc("quick", quick)
	}

	const n = 6
	ids := make([]string, n)
	for i := range ids {
		tk, err := b.client.Enqueue(context.Background(), "report", nil, taskq.WithMaxRetries(0))
		require.NoError(t, err)
		ids[i] = tk.ID
	}
	q, err := b.client.Enqueue(context.Background(), "quick", nil)
	require.NoError(t, err)
	b.start(t)
	require.NoError(t, other.Start(context.Background()))

	waitStatus(t, b, q.ID, taskq.StatusCompleted, 10*time.Second)
	for i := range n {
		want := int32(min(2, n-i))
		waitFor(t, 10*time.Second, "the capped type to fill its slots", func() bool { return running.Load() == want })
		release <- struct{}{}
		waitFor(t, 10*time.Second, "a report to finish", func() bool { return done.Load() == int32(i+1) })
	}
	require.EqualValues(t, 2, peak.Load(), "never more than the cap at once, across both workers")
	for _, id := range ids {
		tk := waitStatus(t, b, id, taskq.StatusCompleted, 10*time.Second)
		require.Equal(t, 0, tk.RetryCount, "waiting for a slot used no retry")
		require.Equal(t, 1, tk.Attempts, "a capped task was not started before its slot")
	}
}
