package worker_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestProgress: on every backend, a handler's progress is on the task
// while it runs, and the last report is on it once it completed.
func TestProgress(t *testing.T) {
	t.Parallel()
	runOnBackends(t, []backendCase{{"Visible", testProgressVisible}})
}

func testProgressVisible(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.ProgressInterval = 20 * time.Millisecond
	b := mk(t, cfg)
	release := make(chan struct{})
	badPercent := make(chan error, 1)
	b.worker.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		badPercent <- taskq.ReportProgress(ctx, 101, "too far")
		if err := taskq.ReportProgress(ctx, 10, "started"); err != nil {
			return nil, err
		}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for i := 11; i <= 100; i++ {
			if err := taskq.ReportProgress(ctx, i, "step "+strconv.Itoa(i)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	b.start(t)
	ctx := context.Background()
	tk, err := b.client.Enqueue(ctx, "job", nil)
	require.NoError(t, err)
	require.ErrorIs(t, <-badPercent, taskq.ErrInvalidInput)

	var got *taskq.Task
	waitFor(t, 10*time.Second, "the first progress report on the task", func() bool {
		got, err = b.client.Get(ctx, tk.ID)
		require.NoError(t, err)
		return got.Progress != nil
	})
	require.Equal(t, taskq.StatusRunning, got.Status)
	require.Equal(t, taskq.Progress{Percent: 10, Message: "started", Attempt: 1, Updated: got.Progress.Updated}, *got.Progress)
	require.WithinDuration(t, time.Now(), got.Progress.Updated, time.Minute)

	close(release)
	done := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.NotNil(t, done.Progress)
	require.Equal(t, 100, done.Progress.Percent, "the last report is written before the outcome")
	require.Equal(t, "step 100", done.Progress.Message)
	require.Equal(t, 1, done.Progress.Attempt)
}

// countingProgress is a memory storage that counts progress writes and
// signals each on writes.
type countingProgress struct {
	*storage.Memory
	mu     sync.Mutex
	got    []taskq.Progress
	writes chan struct{}
}

func (c *countingProgress) SetProgress(ctx context.Context, id string, p taskq.Progress) error {
	err := c.Memory.SetProgress(ctx, id, p)
	c.mu.Lock()
	c.got = append(c.got, p)
	c.mu.Unlock()
	c.writes <- struct{}{}
	return err
}

// TestProgressCoalesced: reports within the interval are not written one
// by one: the first is written at once, the others wait, and of those
// only the last is written, when the attempt ends.
func TestProgressCoalesced(t *testing.T) {
	t.Parallel()
	store := &countingProgress{Memory: storage.NewMemory(), writes: make(chan struct{}, 100)}
	cfg := fastConfig()
	cfg.ProgressInterval = time.Hour
	b := setupWith(t, store, queue.NewMemory(), cfg)
	release := make(chan struct{})
	b.worker.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		for i := range 50 {
			if err := taskq.ReportProgress(ctx, i, "step"); err != nil {
				return nil, err
			}
		}
		<-release
		return nil, taskq.ReportProgress(ctx, 99, "last")
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "job", nil)
	require.NoError(t, err)
	<-store.writes // the first report, at once
	close(release)
	waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	<-store.writes // the last, before the outcome
	store.mu.Lock()
	defer store.mu.Unlock()
	require.Len(t, store.got, 2, "two writes for 51 reports")
	require.Equal(t, 0, store.got[0].Percent)
	require.Equal(t, 99, store.got[1].Percent)
	require.Equal(t, "last", store.got[1].Message)
}

// TestProgressDisabled: with a negative ProgressInterval nothing is
// written and ReportProgress still answers.
func TestProgressDisabled(t *testing.T) {
	t.Parallel()
	store := &countingProgress{Memory: storage.NewMemory(), writes: make(chan struct{}, 100)}
	cfg := fastConfig()
	cfg.ProgressInterval = -1
	b := setupWith(t, store, queue.NewMemory(), cfg)
	b.worker.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		return nil, taskq.ReportProgress(ctx, 50, "half")
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "job", nil)
	require.NoError(t, err)
	done := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.Nil(t, done.Progress)
	require.Empty(t, store.writes)
}
