package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// Concurrent moves never leave the DLQ above its cap: moves are
// serialized by an advisory lock and evict in the same transaction.
func TestMoveToDeadLetterCapUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	const n, maxSize = 40, 5
	ts := newPending(n)
	require.NoError(t, s.CreateTasks(ctx, ts))
	evicted := make([]int, n)
	errs := make([]error, n)
	runTogether(n, func(i int) {
		c := ts[i].Clone()
		c.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "boom"}
		evicted[i], errs[i] = s.MoveTaskToDeadLetter(ctx, c, maxSize)
	})
	total := 0
	for i := range n {
		require.NoError(t, errs[i])
		total += evicted[i]
	}
	count, err := s.CountDeadLetterTasks(ctx)
	require.NoError(t, err)
	require.Equal(t, maxSize, count)
	require.Equal(t, n-maxSize, total, "every eviction is counted once")
}

// A dead_letter record written without an entry time gets one, so it
// pages like every other entry.
func TestDeadLetterWithoutEntryTimePages(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(3)
	require.NoError(t, s.CreateTasks(ctx, ts))
	for i, task := range ts {
		c := task.Clone()
		c.Status = taskq.StatusDeadLetter
		c.Updated = c.Updated.Add(time.Duration(i) * time.Second)
		require.NoError(t, s.UpdateTask(ctx, c))
	}
	var got []string
	f := taskq.DeadLetterFilter{Limit: 1}
	for range 5 {
		page, err := s.GetDeadLetterTasks(ctx, f)
		require.NoError(t, err)
		for _, task := range page.Tasks {
			require.NotNil(t, task.DeadLetteredAt)
			got = append(got, task.ID)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	require.Equal(t, []string{ts[0].ID, ts[1].ID, ts[2].ID}, got)
}
