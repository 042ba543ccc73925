package storagetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testPauseQueue: pausing and resuming are idempotent, the paused set is
// sorted and shared by every handle on the data (a second store from the
// factory sees nothing of this one: instances are isolated). Skipped for
// a storage without taskq.QueuePauser.
func testPauseQueue(t *testing.T, f Factory) {
	ctx, s := setup(t, f)
	p, ok := s.(taskq.QueuePauser)
	if !ok {
		t.Skip("the storage has no taskq.QueuePauser")
	}
	got, err := p.PausedQueues(ctx)
	require.NoError(t, err)
	require.Empty(t, got)
	require.NoError(t, p.PauseQueue(ctx, "emails"))
	require.NoError(t, p.PauseQueue(ctx, "emails"), "pausing twice is fine")
	require.NoError(t, p.PauseQueue(ctx, "billing"))
	got, err = p.PausedQueues(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"billing", "emails"}, got)
	require.NoError(t, p.ResumeQueue(ctx, "emails"))
	require.NoError(t, p.ResumeQueue(ctx, "emails"), "resuming twice is fine")
	require.NoError(t, p.ResumeQueue(ctx, "never-paused"))
	got, err = p.PausedQueues(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"billing"}, got)
	require.Error(t, p.PauseQueue(ctx, ""), "a queue needs a name")

	// Tasks of a paused queue are still created and read.
	tk := newTask(func(tk *taskq.Task) { tk.Queue = "billing" })
	_, err = s.CreateTask(ctx, tk)
	require.NoError(t, err)
	_, err = s.GetTask(ctx, tk.ID)
	require.NoError(t, err)
}
