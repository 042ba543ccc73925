package taskq_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// bindingQueue is a memory queue that answers BindStorage with err until
// err is nil, counting the calls.
type bindingQueue struct {
	*queue.Memory
	err   atomic.Pointer[error]
	calls atomic.Int32
}

func (q *bindingQueue) BindStorage(_ context.Context, _ string) error {
	q.calls.Add(1)
	if p := q.err.Load(); p != nil {
		return *p
	}
	return nil
}

func newBindingQueue(err error) *bindingQueue {
	q := &bindingQueue{Memory: queue.NewMemory()}
	q.err.Store(&err)
	return q
}

// TestClientBinding: a mismatch refuses the enqueue and stores nothing; an
// unavailable queue does not (the record is stored, and the binding is
// checked again later); once bound, the check is not repeated.
func TestClientBinding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	store := storage.NewMemory()
	q := newBindingQueue(taskq.NewStorageMismatchError("default", "a", "b"))
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = c.Enqueue(ctx, "x", nil)
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)
	require.NotErrorIs(t, err, taskq.ErrConflict)
	page, err := store.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks, "a refused enqueue stores nothing")
	_, err = c.EnqueueMany(ctx, []taskq.EnqueueRequest{{Type: "x"}})
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)

	q2 := newBindingQueue(taskq.ErrUnavailable)
	c2, err := taskq.NewClient(store, q2, taskq.ClientConfig{})
	require.NoError(t, err)
	tk, err := c2.Enqueue(ctx, "x", nil)
	require.NoError(t, err, "an unavailable queue is not a mismatch")
	_, err = store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	q2.err.Store(new(error(nil)))
	_, err = c2.Enqueue(ctx, "x", nil)
	require.NoError(t, err)
	_, err = c2.Enqueue(ctx, "x", nil)
	require.NoError(t, err)
	require.EqualValues(t, 2, q2.calls.Load(), "checked again after the outage, then never again")
}

// TestScheduleBounds: run_at beyond MaxScheduleAhead and times outside the
// representable range are validation errors naming the field.
func TestScheduleBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{MaxScheduleAhead: 24 * time.Hour})
	require.NoError(t, err)
	_, err = c.Enqueue(ctx, "x", nil, taskq.WithDelay(23*time.Hour))
	require.NoError(t, err)
	for name, opt := range map[string]taskq.EnqueueOption{
		"delay past the bound":  taskq.WithDelay(25 * time.Hour),
		"run_at past the bound": taskq.WithRunAt(time.Now().Add(48 * time.Hour)),
		"run_at year 10000":     taskq.WithRunAt(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
		"deadline year 10000":   taskq.WithDeadline(time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("-12", -12*3600))),
	} {
		_, err := c.Enqueue(ctx, "x", nil, opt)
		require.ErrorIs(t, err, taskq.ErrValidation, name)
	}
	unbounded, err := taskq.NewClient(store, q, taskq.ClientConfig{MaxScheduleAhead: -1})
	require.NoError(t, err)
	_, err = unbounded.Enqueue(ctx, "x", nil, taskq.WithRunAt(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
}
