package taskqotel_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/taskqotel"
)

// TestStorageWrapperCountsTasks: a client on the traced storage counts
// tasks as on the storage itself (with a span), and one on a traced
// storage that cannot count fails as a client on that storage does.
func TestStorageWrapperCountsTasks(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	ws := tr.Storage(storage.NewMemory())
	c, err := taskq.NewClient(ws, queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = c.Enqueue(t.Context(), "mail", nil, taskq.WithQueue("q1"))
	require.NoError(t, err)
	st, err := c.QueueStats(t.Context())
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, "q1", st[0].Queue)
	require.EqualValues(t, 1, st[0].Counts[taskq.StatusPending])
	require.EqualValues(t, 1, st[0].Types["mail"][taskq.StatusPending])
	require.NotNil(t, st[0].OldestPending)
	found := false
	for _, s := range exp.GetSpans() {
		found = found || s.Name == "taskq.storage.CountTasks"
	}
	require.True(t, found, "a CountTasks span")

	plain := struct{ taskq.StorageAdapter }{storage.NewMemory()}
	for _, s := range []taskq.StorageAdapter{plain, tr.Storage(plain)} {
		pc, err := taskq.NewClient(s, queue.NewMemory(), taskq.ClientConfig{})
		require.NoError(t, err)
		_, err = pc.QueueStats(t.Context())
		require.ErrorIs(t, err, taskq.ErrNoCounts)
		require.True(t, errors.Is(err, errors.ErrUnsupported))
	}
}

// TestStorageWrapperSetsProgress: progress written through the traced
// storage is stored (with a span); a traced storage that cannot store
// progress says so with errors.ErrUnsupported.
func TestStorageWrapperSetsProgress(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	ms := storage.NewMemory()
	ws := tr.Storage(ms)
	c, err := taskq.NewClient(ws, queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	tk, err := c.Enqueue(t.Context(), "mail", nil)
	require.NoError(t, err)
	_, err = ws.StartTasks(t.Context(), []string{tk.ID}, time.Time{})
	require.NoError(t, err)
	pw := ws.(taskq.ProgressWriter)
	require.NoError(t, pw.SetProgress(t.Context(), tk.ID, taskq.Progress{Percent: 30, Message: "m", Attempt: 1}))
	got, err := ms.GetTask(t.Context(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, 30, got.Progress.Percent)
	require.ErrorIs(t, pw.SetProgress(t.Context(), tk.ID, taskq.Progress{Attempt: 2}), taskq.ErrConflict)
	found := false
	for _, s := range exp.GetSpans() {
		found = found || s.Name == "taskq.storage.SetProgress"
	}
	require.True(t, found, "a SetProgress span")

	plain := tr.Storage(struct{ taskq.StorageAdapter }{storage.NewMemory()})
	require.ErrorIs(t, plain.(taskq.ProgressWriter).SetProgress(t.Context(), tk.ID, taskq.Progress{}), errors.ErrUnsupported)
}
