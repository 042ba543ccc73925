package taskq_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

type refreshFeed struct {
	Feed  string `json:"feed"`
	Nonce int    `json:"nonce"`
}

func (refreshFeed) Kind() string { return "feed.refresh" }

func (refreshFeed) Unique() taskq.UniqueOpts {
	return taskq.UniqueOpts{Fields: []string{"feed"}}
}

func uniqueKey(t *testing.T, c *taskq.Client, typ string, md map[string]any, opts ...taskq.EnqueueOption) string {
	t.Helper()
	task, err := c.NewTask(typ, md, opts...)
	require.NoError(t, err)
	return task.UniqueKey
}

func TestUniqueKeyDimensions(t *testing.T) {
	c, _, _ := newClient(t)
	byArgs := taskq.WithUnique(taskq.UniqueOpts{ByArgs: true})
	base := uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"}, byArgs)
	require.Len(t, base, 64)

	require.Equal(t, base, uniqueKey(t, c, "t", map[string]any{"b": "x", "a": 1}, byArgs), "key order does not count")
	require.Equal(t, base, uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"}, byArgs, taskq.WithQueue("other")),
		"the queue counts only with ByQueue")
	for name, k := range map[string]string{
		"metadata": uniqueKey(t, c, "t", map[string]any{"a": 2, "b": "x"}, byArgs),
		"type":     uniqueKey(t, c, "u", map[string]any{"a": 1, "b": "x"}, byArgs),
		"owner":    uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"}, byArgs, taskq.WithOwner("bob")),
		"queue": uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"},
			taskq.WithUnique(taskq.UniqueOpts{ByArgs: true, ByQueue: true}), taskq.WithQueue("other")),
		"key": uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"}, taskq.WithUnique(taskq.UniqueOpts{ByArgs: true, Key: "k"})),
	} {
		require.NotEqual(t, base, k, "%s counts", name)
	}

	typeOnly := uniqueKey(t, c, "t", map[string]any{"a": 1}, taskq.WithUnique(taskq.UniqueOpts{}))
	require.Equal(t, typeOnly, uniqueKey(t, c, "t", map[string]any{"a": 2}, taskq.WithUnique(taskq.UniqueOpts{})),
		"without ByArgs the metadata does not count")

	fields := taskq.WithUnique(taskq.UniqueOpts{Fields: []string{"a"}})
	require.Equal(t, uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "x"}, fields),
		uniqueKey(t, c, "t", map[string]any{"a": 1, "b": "y"}, fields), "only the named fields count")
	require.NotEqual(t, uniqueKey(t, c, "t", map[string]any{"a": 1}, fields),
		uniqueKey(t, c, "t", map[string]any{"a": 2}, fields))

	require.Empty(t, uniqueKey(t, c, "t", nil), "no key without WithUnique")
}

func TestUniquePeriodBuckets(t *testing.T) {
	c, _, _ := newClient(t)
	hourly := taskq.WithUnique(taskq.UniqueOpts{Period: time.Hour})
	at := func(s string) taskq.EnqueueOption {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return taskq.WithRunAt(v)
	}
	k1 := uniqueKey(t, c, "t", nil, hourly, at("2030-01-01T10:00:00Z"))
	require.Equal(t, k1, uniqueKey(t, c, "t", nil, hourly, at("2030-01-01T10:59:59Z")))
	require.NotEqual(t, k1, uniqueKey(t, c, "t", nil, hourly, at("2030-01-01T11:00:00Z")))
}

func TestUniqueStatesAndValidation(t *testing.T) {
	c, _, _ := newClient(t)
	task, err := c.NewTask("t", nil, taskq.WithUnique(taskq.UniqueOpts{}))
	require.NoError(t, err)
	require.Equal(t, taskq.UniqueStatesActive(), task.UniqueStates, "default states")
	task, err = c.NewTask("t", nil, taskq.WithUnique(taskq.UniqueOpts{
		States: []taskq.TaskStatus{taskq.StatusCompleted, taskq.StatusPending, taskq.StatusPending}}))
	require.NoError(t, err)
	require.Equal(t, []taskq.TaskStatus{taskq.StatusPending, taskq.StatusCompleted}, task.UniqueStates, "sorted, once each")

	for name, u := range map[string]taskq.UniqueOpts{
		"unique.period": {Period: 500 * time.Millisecond},
		"unique.states": {States: []taskq.TaskStatus{"nope"}},
		"unique.key":    {Key: "bad\x00key"},
		"unique.fields": {Fields: []string{""}},
	} {
		_, err := c.NewTask("t", nil, taskq.WithUnique(u))
		require.ErrorIs(t, err, taskq.ErrValidation, name)
		require.Equal(t, name, taskq.AsError(err).Details[0].Field)
	}
}

func TestUniqueErrorMatching(t *testing.T) {
	err := taskq.NewUniqueError("", nil)
	require.ErrorIs(t, err, taskq.ErrUniqueExists)
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.NotErrorIs(t, err, taskq.ErrConflict)
	require.NotErrorIs(t, taskq.NewDuplicateError("", nil), taskq.ErrUniqueExists)
	require.Equal(t, taskq.CodeConflict, taskq.CodeOf(err))
}

func TestUniqueArgsConcurrentEnqueue(t *testing.T) {
	c, store, q := newClient(t)
	ctx := t.Context()
	const producers = 32
	got := make([]*taskq.Task, producers)
	errs := make([]error, producers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range producers {
		wg.Go(func() {
			<-start
			// Nonce differs: only feed counts (UniqueArgs.Unique).
			got[i], errs[i] = c.EnqueueArgs(ctx, refreshFeed{Feed: "news", Nonce: i})
		})
	}
	close(start)
	wg.Wait()
	var created *taskq.Task
	for i, err := range errs {
		if err == nil {
			require.Nil(t, created, "two producers created a task")
			created = got[i]
		}
	}
	require.NotNil(t, created)
	for i, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, taskq.ErrUniqueExists)
			require.Equal(t, created.ID, got[i].ID, "the existing task is returned")
		}
	}
	require.Equal(t, 1, store.Len())
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Total(), "the existing task is not queued again")

	other, err := c.EnqueueArgs(ctx, refreshFeed{Feed: "sports"})
	require.NoError(t, err)
	require.NotEqual(t, created.ID, other.ID)
	again, err := c.EnqueueArgs(ctx, refreshFeed{Feed: "news"}, taskq.WithoutUnique())
	require.NoError(t, err, "WithoutUnique drops the default")
	require.NotEqual(t, created.ID, again.ID)
}
