package dlq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/dlq"
)

// TestRetryMatching: a bulk replay retries the entries that match the
// type, error code and time range, oldest first, up to the limit, under
// the single retry's rules (an entry past the DLQ retry limit or past its
// deadline is reported failed and the replay goes on).
func TestRetryMatching(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{RetryLimit: 1, Backoff: time.Second})
	ctx := context.Background()
	move := func(typ string, cause error, mods ...func(*taskq.Task)) *taskq.Task {
		now := f.clock()
		tk := &taskq.Task{ID: taskq.NewID(), Type: typ, Status: taskq.StatusRunning, Created: now, Updated: now,
			RunAt: now, Queue: taskq.DefaultQueue, Metadata: map[string]any{}}
		for _, m := range mods {
			m(tk)
		}
		_, err := f.store.CreateTask(ctx, tk)
		require.NoError(t, err)
		require.NoError(t, f.dlq.Move(ctx, tk, cause))
		f.advance(time.Second)
		return tk
	}
	timeout := &taskq.Error{Code: taskq.CodeTaskTimeout, Message: "slow"}
	old := move("mail", timeout) // before the range
	since := f.clock()
	m1 := move("mail", timeout)
	other := move("mail", errors.New("boom")) // task_execution_failed
	img := move("img", timeout)
	expired := move("mail", timeout, func(tk *taskq.Task) { tk.Deadline = new(f.clock().Add(time.Second)) })
	m2 := move("mail", timeout)
	m3 := move("mail", timeout)
	until := f.clock()
	late := move("mail", timeout) // after the range

	res, err := f.dlq.RetryMatching(ctx, dlq.RetryFilter{Type: "mail", ErrorCode: taskq.CodeTaskTimeout,
		Since: since, Until: until, Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{m1.ID, m2.ID}, res.Retried, "oldest first, the limit counting the failed entry")
	require.Len(t, res.Failed, 1)
	require.Equal(t, dlq.RetryFailure{ID: expired.ID, Code: taskq.CodeConflict, Message: "the task's deadline has passed"}, res.Failed[0])
	require.True(t, res.More, "m3 still matches")
	for _, id := range res.Retried {
		got, err := f.store.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusPending, got.Status)
		require.Equal(t, 1, got.DLQRetryCount)
	}
	for _, tk := range []*taskq.Task{old, other, img, late, m3} {
		_, err := f.dlq.Get(ctx, tk.ID)
		require.NoError(t, err, "%s is still in the DLQ", tk.ID)
	}

	// The rest of the range: m3; the expired entry fails again.
	res, err = f.dlq.RetryMatching(ctx, dlq.RetryFilter{Type: "mail", ErrorCode: taskq.CodeTaskTimeout, Since: since, Until: until})
	require.NoError(t, err)
	require.Equal(t, []string{m3.ID}, res.Retried)
	require.Len(t, res.Failed, 1)
	require.False(t, res.More)

	// Without filters, up to the call's time: every other entry; m1 comes
	// back and is then past the DLQ retry limit.
	started, err := f.store.StartTasks(ctx, []string{m1.ID}, f.clock())
	require.NoError(t, err)
	require.NoError(t, f.dlq.Move(ctx, started[0], timeout))
	f.advance(time.Second)
	res, err = f.dlq.RetryMatching(ctx, dlq.RetryFilter{})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{old.ID, other.ID, img.ID, late.ID}, res.Retried)
	require.Len(t, res.Failed, 2)
	require.Equal(t, expired.ID, res.Failed[0].ID)
	require.Equal(t, dlq.RetryFailure{ID: m1.ID, Code: taskq.CodeConflict, Message: "DLQ retry limit reached (1 of 1)"}, res.Failed[1])
}

// TestRetryMatchingValidates: limits beyond the maximum, unknown error
// codes and empty time ranges are refused before anything is retried.
func TestRetryMatchingValidates(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{})
	ctx := context.Background()
	tk := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, tk, errors.New("x")))
	for _, bad := range []dlq.RetryFilter{
		{Limit: dlq.MaxRetryLimit + 1},
		{Limit: -1},
		{ErrorCode: "nope"},
		{Since: f.clock().Add(time.Hour), Until: f.clock()},
	} {
		_, err := f.dlq.RetryMatching(ctx, bad)
		require.ErrorIs(t, err, taskq.ErrValidation, "%+v", bad)
	}
	n, err := f.dlq.Size(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "nothing retried")
}
