package taskqotel_test

import (
	"errors"
	"testing"

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
