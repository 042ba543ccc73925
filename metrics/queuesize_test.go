package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

func enqueue(t *testing.T, q taskq.Queue, name string, p taskq.TaskPriority, n int, runAt time.Time) {
	t.Helper()
	for i := range n {
		require.NoError(t, q.Enqueue(context.Background(), name, taskq.QueueEntry{
			ID: fmt.Sprintf("%s-%d-%d-%d", name, p, runAt.Unix(), i), Priority: p, RunAt: runAt,
		}))
	}
}

func TestQueueSizeFromTheQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	ctx := context.Background()
	q, reg := b.q, b.reg

	enqueue(t, q, "default", taskq.PriorityLow, 1, time.Time{})
	enqueue(t, q, "default", taskq.PriorityHigh, 3, time.Time{})
	enqueue(t, q, "default", taskq.PriorityCritical, 2, time.Time{})
	enqueue(t, q, "default", taskq.PriorityMedium, 4, time.Now().Add(time.Hour))
	enqueue(t, q, "mail", taskq.PriorityMedium, 5, time.Time{})
	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 2, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 2) // the two critical ones

	for _, c := range []struct {
		queue, priority string
		want            float64
	}{
		{"default", "low", 1}, {"default", "medium", 0}, {"default", "high", 3}, {"default", "critical", 0},
		{"default", "scheduled", 4}, {"default", "leased", 2},
		{"mail", "medium", 5}, {"mail", "low", 0}, {"mail", "scheduled", 0}, {"mail", "leased", 0},
	} {
		require.Equal(t, c.want, mustValue(t, reg, "task_queue_size", "queue", c.queue, "priority", c.priority), "%s/%s", c.queue, c.priority)
	}
	require.Equal(t, 12, countSeries(t, reg, "task_queue_size"))
}

func TestQueueSizeBoundsQueueNames(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxLabelValues: 2}) // "default" + one more
	for _, name := range []string{"a", "b", "c"} {
		enqueue(t, b.q, name, taskq.PriorityHigh, 2, time.Time{})
	}
	require.Equal(t, 2.0, mustValue(t, b.reg, "task_queue_size", "queue", "a", "priority", "high"))
	require.Equal(t, 4.0, mustValue(t, b.reg, "task_queue_size", "queue", Other, "priority", "high"), "b and c are summed")
	require.Equal(t, 18, countSeries(t, b.reg, "task_queue_size"))
}

// faultyQueue fails Stats for some queues and Queues on demand.
type faultyQueue struct {
	taskq.Queue
	mu         sync.Mutex
	failStats  map[string]bool
	failQueues bool
}

func (f *faultyQueue) Stats(ctx context.Context, name string) (taskq.QueueStats, error) {
	f.mu.Lock()
	fail := f.failStats[name]
	f.mu.Unlock()
	if fail {
		return taskq.QueueStats{}, errors.New("redis: connection refused")
	}
	return f.Queue.Stats(ctx, name)
}

func (f *faultyQueue) Queues(ctx context.Context) ([]string, error) {
	f.mu.Lock()
	fail := f.failQueues
	f.mu.Unlock()
	if fail {
		return nil, errors.New("redis: connection refused")
	}
	return f.Queue.Queues(ctx)
}

func TestQueueSizeToleratesBackendErrors(t *testing.T) {
	t.Parallel()
	mem := queue.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	fq := &faultyQueue{Queue: mem, failStats: map[string]bool{"bad": true}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	b := setup(t, Config{Queue: fq, Logger: slog.New(slog.NewTextHandler(&lockedWriter{mu: &logMu, w: &logs}, nil))})
	enqueue(t, mem, "good", taskq.PriorityLow, 1, time.Time{})
	enqueue(t, mem, "bad", taskq.PriorityLow, 1, time.Time{})

	// The scrape succeeds; the failing queue is skipped and logged.
	text := scrape(t, b.reg)
	require.Contains(t, text, `task_queue_size{priority="low",queue="good"} 1`)
	require.NotContains(t, text, `queue="bad"`)
	require.Contains(t, text, "dlq_size 0", "other families are unaffected")
	logMu.Lock()
	require.Contains(t, logs.String(), "queue=bad")
	logMu.Unlock()

	// Listing fails: the configured queues are still read.
	fq.mu.Lock()
	fq.failQueues = true
	fq.mu.Unlock()
	require.Equal(t, 0.0, mustValue(t, b.reg, "task_queue_size", "queue", "default", "priority", "low"))
	_, ok := value(t, b.reg, "task_queue_size", "queue", "good", "priority", "low")
	require.False(t, ok)

	// Everything fails (closed queue): no sample, still no scrape error.
	require.NoError(t, mem.Close())
	text = scrape(t, b.reg)
	require.NotContains(t, text, "task_queue_size{")
	require.Contains(t, text, "task_processing_rate 0")
}

func TestQueueSizeHonoursScrapeTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{Queue: blockingQueue{}, ScrapeTimeout: 50 * time.Millisecond})
	start := time.Now()
	text := scrape(t, b.reg)
	require.Less(t, time.Since(start), 5*time.Second)
	require.NotContains(t, text, "task_queue_size{")
}

// blockingQueue answers only when ctx ends.
type blockingQueue struct{ taskq.Queue }

func (blockingQueue) Stats(ctx context.Context, _ string) (taskq.QueueStats, error) {
	<-ctx.Done()
	return taskq.QueueStats{}, ctx.Err()
}

func (blockingQueue) Queues(ctx context.Context) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestDLQSize(t *testing.T) {
	t.Parallel()
	t.Run("set", func(t *testing.T) {
		t.Parallel()
		b := setup(t, Config{})
		require.Zero(t, mustValue(t, b.reg, "dlq_size"))
		b.m.SetDLQSize(12)
		require.Equal(t, 12.0, mustValue(t, b.reg, "dlq_size"))
	})
	t.Run("func", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		size, fail := 3, false
		b := setup(t, Config{DLQSize: func(ctx context.Context) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := ctx.Deadline(); !ok {
				return 0, errors.New("no deadline")
			}
			if fail {
				return 0, errors.New("postgres down")
			}
			return size, nil
		}})
		require.Equal(t, 3.0, mustValue(t, b.reg, "dlq_size"))
		b.m.SetDLQSize(99) // ignored: the function wins
		mu.Lock()
		size = 4
		mu.Unlock()
		require.Equal(t, 4.0, mustValue(t, b.reg, "dlq_size"))
		mu.Lock()
		fail = true
		mu.Unlock()
		_, ok := value(t, b.reg, "dlq_size")
		require.False(t, ok, "a failing DLQ is skipped")
		require.Contains(t, scrape(t, b.reg), "dlq_tasks_remaining 0", "and the scrape still succeeds")
	})
}
