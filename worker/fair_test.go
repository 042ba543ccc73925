package worker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestFairSharing: with one owner holding 1,000 pending tasks that each
// run for a second, another owner's new task is among the next ones to
// start. It waits only for the first owner's tasks that a worker had
// already leased (the running ones and the prefetched ones), not for the
// 1,000. The time it waited is logged (docs/limits.md quotes it).
func TestFairSharing(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			testFairSharing(t, be.prepare(t))
		})
	}
}

func testFairSharing(t *testing.T, mk maker) {
	const (
		pending = 1000
		taskDur = time.Second
	)
	cfg := fastConfig()
	b := mk(t, cfg)

	var (
		mu      sync.Mutex
		started []string // owners, in start order
		bAt     = -1     // index in started when b's task was enqueued
	)
	bStarted := make(chan struct{})
	b.worker.HandleFunc("long", func(ctx context.Context, tk *taskq.Task) (any, error) {
		mu.Lock()
		started = append(started, tk.Owner)
		mu.Unlock()
		if tk.Owner == "b" {
			close(bStarted)
			return nil, nil
		}
		select {
		case <-time.After(taskDur):
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})

	reqs := make([]taskq.EnqueueRequest, pending)
	for i := range reqs {
		reqs[i] = taskq.EnqueueRequest{Type: "long", Options: []taskq.EnqueueOption{taskq.WithOwner("a")}}
	}
	for i := 0; i < pending; i += 250 {
		_, err := b.client.EnqueueMany(context.Background(), reqs[i:i+250])
		require.NoError(t, err)
	}
	b.start(t)
	// Let the worker fill its slots and its prefetch with a's tasks.
	waitFor(t, 30*time.Second, "the first tasks to start", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(started) >= cfg.Concurrency
	})

	mu.Lock()
	bAt = len(started)
	mu.Unlock()
	enqueued := time.Now()
	_, err := b.client.Enqueue(context.Background(), "long", nil, taskq.WithOwner("b"))
	require.NoError(t, err)
	select {
	case <-bStarted:
	case <-time.After(time.Minute):
		t.Fatal("b's task did not start within a minute")
	}
	waited := time.Since(enqueued)

	mu.Lock()
	defer mu.Unlock()
	before := 0
	for _, o := range started[bAt:] {
		if o == "b" {
			break
		}
		before++
	}
	// At b's enqueue the worker held at most Concurrency running and
	// Concurrency prefetched tasks of a (Prefetch defaults to
	// Concurrency); the next lease takes b's task.
	require.LessOrEqual(t, before, 2*cfg.Concurrency,
		"b's task waited for %d of a's tasks to start (of %d pending)", before, pending)
	t.Logf("b's task started %v after its enqueue, behind %d of a's %d pending one-second tasks (concurrency %d, prefetch %d)",
		waited.Round(time.Millisecond), before, pending, cfg.Concurrency, cfg.Concurrency)
}

// TestStartObserver: the worker reports each handler start with how long
// the task had been due: a task due an hour before the worker started
// waited at least that long; a retry counts from its retry time.
func TestStartObserver(t *testing.T) {
	t.Parallel()
	b := setup(t, fastConfig())
	var calls sync.Map
	b.worker.HandleFunc("flaky", func(_ context.Context, tk *taskq.Task) (any, error) {
		if _, again := calls.LoadOrStore(tk.ID, true); !again {
			return nil, errors.New("first attempt fails")
		}
		return nil, nil
	})
	tk, err := b.client.NewTask("flaky", nil)
	require.NoError(t, err)
	tk.Created = tk.Created.Add(-time.Hour)
	tk.Updated, tk.RunAt = tk.Created, tk.Created
	_, err = b.client.EnqueueTask(context.Background(), tk)
	require.NoError(t, err)
	b.start(t)
	waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)

	waits := b.obs.startWaits("default")
	require.Len(t, waits, 2, "two attempts started")
	require.GreaterOrEqual(t, waits[0], time.Hour, "the first attempt had been due for an hour")
	require.Less(t, waits[1], time.Minute, "the retry counts from its retry time, not the creation")
}
