package taskq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestReportProgress: reports reach the reporter in ctx, cleaned (cut to
// MaxProgressMessage at a character boundary, NUL and invalid UTF-8
// replaced); a percent out of range is refused; without a reporter it
// does nothing.
func TestReportProgress(t *testing.T) {
	require.NoError(t, taskq.ReportProgress(context.Background(), 50, "no reporter"))
	type report struct {
		pct int
		msg string
	}
	var got []report
	ctx := taskq.ContextWithProgress(context.Background(), func(p int, m string) { got = append(got, report{p, m}) })
	require.NoError(t, taskq.ReportProgress(ctx, 0, "start"))
	require.NoError(t, taskq.ReportProgress(ctx, 100, "a\x00b\xffc"))
	long := strings.Repeat("é", taskq.MaxProgressMessage) // 2 bytes each
	require.NoError(t, taskq.ReportProgress(ctx, 7, "x"+long))
	for _, bad := range []int{-1, 101} {
		require.ErrorIs(t, taskq.ReportProgress(ctx, bad, "x"), taskq.ErrInvalidInput)
	}
	require.Len(t, got, 3)
	require.Equal(t, report{0, "start"}, got[0])
	require.Equal(t, report{100, "a\uFFFDb\uFFFDc"}, got[1])
	require.LessOrEqual(t, len(got[2].msg), taskq.MaxProgressMessage)
	require.Equal(t, "x"+strings.Repeat("é", (taskq.MaxProgressMessage-1)/2), got[2].msg, "cut at a character boundary")
}

// TestClientQueueStats: counts grouped by queue, every status present,
// per type, and the oldest due pending task's age by the client's clock.
func TestClientQueueStats(t *testing.T) {
	now := time.Now().UTC()
	c, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{Now: func() time.Time { return now }})
	require.NoError(t, err)
	ctx := context.Background()
	st, err := c.QueueStats(ctx)
	require.NoError(t, err)
	require.Empty(t, st)
	for _, ty := range []string{"a", "a", "b"} {
		_, err := c.Enqueue(ctx, ty, nil, taskq.WithQueue("q2"))
		require.NoError(t, err)
	}
	_, err = c.Enqueue(ctx, "a", nil, taskq.WithQueue("q1"), taskq.WithDelay(time.Hour))
	require.NoError(t, err)
	now = now.Add(3 * time.Second)
	st, err = c.QueueStats(ctx)
	require.NoError(t, err)
	require.Len(t, st, 2)
	require.Equal(t, "q1", st[0].Queue)
	require.Len(t, st[0].Counts, len(taskq.Statuses()))
	require.EqualValues(t, 1, st[0].Counts[taskq.StatusPending])
	require.Nil(t, st[0].OldestPending, "the only task of q1 is scheduled")
	require.Equal(t, "q2", st[1].Queue)
	require.EqualValues(t, 3, st[1].Counts[taskq.StatusPending])
	require.EqualValues(t, 2, st[1].Types["a"][taskq.StatusPending])
	require.EqualValues(t, 1, st[1].Types["b"][taskq.StatusPending])
	require.Zero(t, st[1].Types["b"][taskq.StatusCompleted])
	require.NotNil(t, st[1].OldestPending)
	require.Equal(t, 3*time.Second, st[1].OldestPendingAge)
}
