package taskq_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

func newClient(t *testing.T) (*taskq.Client, *storage.Memory, *queue.Memory) {
	t.Helper()
	store, q := storage.NewMemory(), queue.NewMemory()
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	return c, store, q
}

func TestNewClientNeedsBackends(t *testing.T) {
	t.Parallel()
	_, err := taskq.NewClient(nil, queue.NewMemory(), taskq.ClientConfig{})
	require.ErrorContains(t, err, "StorageAdapter")
	_, err = taskq.NewClient(storage.NewMemory(), nil, taskq.ClientConfig{})
	require.ErrorContains(t, err, "Queue")
}

func TestEnqueueOptions(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	tk, err := c.Enqueue(ctx, "email.send", map[string]any{"to": "x"},
		taskq.WithPriority(taskq.PriorityCritical), taskq.WithDelay(time.Minute), taskq.WithDeadline(deadline),
		taskq.WithMaxRetries(7), taskq.WithTimeout(time.Second), taskq.WithQueue("mail"),
		taskq.WithDescription("welcome"), taskq.WithOwner("alice"))
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, tk.Status)
	require.Equal(t, taskq.PriorityCritical, tk.Priority)
	require.Equal(t, 7, tk.MaxRetries)
	require.Equal(t, time.Second, tk.Timeout)
	require.Equal(t, "mail", tk.Queue)
	require.Equal(t, "alice", tk.Owner)
	require.True(t, tk.RunAt.After(time.Now().Add(50*time.Second)))
	require.True(t, deadline.Equal(*tk.Deadline))
	st, err := q.Stats(ctx, "mail")
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Scheduled, "a delayed task waits in the scheduled set")

	def, err := c.Enqueue(ctx, "email.send", nil)
	require.NoError(t, err)
	require.Equal(t, taskq.PriorityMedium, def.Priority)
	require.Equal(t, taskq.DefaultMaxRetries, def.MaxRetries)
	require.Equal(t, taskq.DefaultQueue, def.Queue)
	require.NotNil(t, def.Metadata)
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	c, store, _ := newClient(t)
	_, err := c.Enqueue(context.Background(), "", nil)
	require.ErrorIs(t, err, taskq.ErrValidation)
	_, err = c.Enqueue(context.Background(), "x", nil, taskq.WithPriority(9))
	require.ErrorIs(t, err, taskq.ErrValidation)
	page, err := store.ListTasks(context.Background(), taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks, "bad input stores nothing")
}

func TestIdempotencyPerOwner(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	a, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("alice"))
	require.NoError(t, err)
	again, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("alice"))
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Equal(t, a.ID, again.ID)
	b, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("bob"))
	require.NoError(t, err)
	require.NotEqual(t, a.ID, b.ID)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 2, st.Total())
}

func TestEnqueueMany(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	reqs := []taskq.EnqueueRequest{
		{Type: "a"}, {Type: "b", Options: []taskq.EnqueueOption{taskq.WithQueue("other")}},
		{Type: "c", Options: []taskq.EnqueueOption{taskq.WithPriority(taskq.PriorityHigh)}},
	}
	ts, err := c.EnqueueMany(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, ts, 3)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Ready[taskq.PriorityHigh])
	require.EqualValues(t, 2, st.Total())
	_, err = c.EnqueueMany(ctx, []taskq.EnqueueRequest{{Type: "ok"}, {Type: "bad type!"}})
	require.ErrorIs(t, err, taskq.ErrValidation)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	tk, err := c.Enqueue(ctx, "x", nil)
	require.NoError(t, err)
	got, err := c.Cancel(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, got.Status)
	require.Equal(t, taskq.CodeTaskCancelled, got.Error.Code)
	require.NotNil(t, got.CompletedAt)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "a cancelled task leaves the queue")
	_, err = c.Cancel(ctx, tk.ID)
	require.ErrorIs(t, err, taskq.ErrConflict)
	_, err = c.Cancel(ctx, taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrNotFound)
}

// report is a typed task input with the shapes JSON tends to lose: an
// int64 above 2^53, a time with a zone offset and nanoseconds, a nested
// struct and slices.
type report struct {
	Account int64     `json:"account"`
	From    time.Time `json:"from"`
	Owner   person    `json:"owner"`
	Tags    []string  `json:"tags"`
	Parts   []person  `json:"parts"`
}

type person struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func (report) Kind() string { return "report.build" }

type ping struct {
	N uint64 `json:"n"`
}

func (ping) Kind() string { return "ping" }

// TestEnqueueArgsRoundTrip enqueues typed input on the memory backends,
// leases the id from the queue, reads the record back from the storage and
// decodes it into the same value, every digit and nanosecond kept.
func TestEnqueueArgsRoundTrip(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	in := report{
		Account: 1<<53 + 1,
		From:    time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600)),
		Owner:   person{Name: "Ada", Age: 36},
		Tags:    []string{"monthly", "eu"},
		Parts:   []person{{Name: "a", Age: 1}, {Name: "b", Age: 2}},
	}
	tk, err := c.EnqueueArgs(ctx, in, taskq.WithPriority(taskq.PriorityHigh))
	require.NoError(t, err)
	require.Equal(t, "report.build", tk.Type)

	ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 10, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, ls, 1)
	require.Equal(t, tk.ID, ls[0].ID)
	require.Equal(t, taskq.PriorityHigh, ls[0].Priority)

	got, err := c.Get(ctx, ls[0].ID)
	require.NoError(t, err)
	require.Equal(t, tk.Metadata, got.Metadata, "the record read back equals the one Enqueue returned")
	out, err := taskq.DecodeArgs[report](got)
	require.NoError(t, err)
	require.Equal(t, in.Account, out.Account, "an int64 above 2^53 keeps every digit")
	require.True(t, in.From.Equal(out.From), "%s != %s", in.From, out.From)
	_, offset := out.From.Zone()
	require.Equal(t, 3600, offset)
	out.From = in.From
	require.Equal(t, in, out)

	_, err = taskq.DecodeArgs[ping](got)
	require.NoError(t, err, "unknown fields are ignored")
	bad, err := c.Enqueue(ctx, "ping", map[string]any{"n": "not a number"})
	require.NoError(t, err)
	_, err = taskq.DecodeArgs[ping](bad)
	require.ErrorIs(t, err, taskq.ErrValidation)
	require.ErrorContains(t, err, "taskq_test.ping")
}

// TestEnqueueManyArgs mixes typed and untyped requests in one EnqueueMany
// and refuses a request that sets Args together with Type or Metadata,
// storing nothing.
func TestEnqueueManyArgs(t *testing.T) {
	t.Parallel()
	c, store, q := newClient(t)
	ctx := context.Background()
	big := uint64(1<<63 + 5)
	ts, err := c.EnqueueMany(ctx, []taskq.EnqueueRequest{
		{Args: ping{N: big}},
		{Args: report{Account: -(1<<53 + 3), Tags: []string{}}, Options: []taskq.EnqueueOption{taskq.WithQueue("reports")}},
		{Type: "plain", Metadata: map[string]any{"k": 1}},
	})
	require.NoError(t, err)
	require.Len(t, ts, 3)
	require.Equal(t, []string{"ping", "report.build", "plain"}, []string{ts[0].Type, ts[1].Type, ts[2].Type})
	require.Equal(t, "reports", ts[1].Queue)

	p, err := c.Get(ctx, ts[0].ID)
	require.NoError(t, err)
	pa, err := taskq.DecodeArgs[ping](p)
	require.NoError(t, err)
	require.Equal(t, big, pa.N)
	r, err := c.Get(ctx, ts[1].ID)
	require.NoError(t, err)
	ra, err := taskq.DecodeArgs[report](r)
	require.NoError(t, err)
	require.Equal(t, int64(-(1<<53 + 3)), ra.Account)
	require.Equal(t, []string{}, ra.Tags)

	for queueName, n := range map[string]int64{taskq.DefaultQueue: 2, "reports": 1} {
		st, err := q.Stats(ctx, queueName)
		require.NoError(t, err)
		require.Equal(t, n, st.Total(), queueName)
	}

	for _, req := range []taskq.EnqueueRequest{
		{Args: ping{N: 1}, Type: "ping"},
		{Args: ping{N: 1}, Metadata: map[string]any{"n": 1}},
	} {
		_, err = c.EnqueueMany(ctx, []taskq.EnqueueRequest{{Args: ping{N: 2}}, req})
		require.ErrorIs(t, err, taskq.ErrValidation)
		require.ErrorContains(t, err, "Args excludes Type and Metadata")
	}
	page, err := store.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 3, "refused batches store nothing")
}

// dispatching is a memory storage that claims to write the queue entries
// of the tasks it creates (taskq.Dispatcher), which it does not: whatever
// reaches the queue came from the Client.
type dispatching struct{ *storage.Memory }

func (dispatching) Dispatches(taskq.Queue) bool { return true }

// TestClientLeavesThePushToADispatcher: with a storage that dispatches,
// Enqueue and EnqueueMany push nothing to the queue themselves.
func TestClientLeavesThePushToADispatcher(t *testing.T) {
	q := queue.NewMemory()
	c, err := taskq.NewClient(dispatching{storage.NewMemory()}, q, taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = c.Enqueue(t.Context(), "noop", nil)
	require.NoError(t, err)
	_, err = c.EnqueueMany(t.Context(), []taskq.EnqueueRequest{{Type: "noop"}})
	require.NoError(t, err)
	st, err := q.Stats(t.Context(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total())
}
