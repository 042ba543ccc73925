package taskqotel_test

import (
	"context"
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

// TestWrappersKeepCapabilities: a wrapped backend has exactly the
// optional capabilities of the backend it wraps, and its calls are spans.
func TestWrappersKeepCapabilities(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	mq := queue.NewMemory()
	_, counter := taskq.Queue(mq).(taskq.EnqueueCounter)
	_, binding := taskq.Queue(mq).(taskq.QueueBinding)
	wq := tr.Queue(mq)
	_, wCounter := wq.(taskq.EnqueueCounter)
	_, wBinding := wq.(taskq.QueueBinding)
	require.Equal(t, counter, wCounter)
	require.Equal(t, binding, wBinding)

	ms := storage.NewMemory()
	_, ident := taskq.StorageAdapter(ms).(taskq.StorageIdentity)
	_, pauser := taskq.StorageAdapter(ms).(taskq.QueuePauser)
	require.True(t, pauser)
	ws := tr.Storage(ms)
	_, wIdent := ws.(taskq.StorageIdentity)
	require.Equal(t, ident, wIdent)
	fd, ok := ws.(taskq.FinishedDeleter)
	require.True(t, ok, "the memory storage deletes finished tasks; the wrapper keeps it")
	n, err := fd.DeleteFinished(t.Context(), time.Now(), 10)
	require.NoError(t, err)
	require.Zero(t, n)
	wp, wPauser := ws.(taskq.QueuePauser)
	require.Equal(t, pauser, wPauser)
	require.NoError(t, wp.PauseQueue(t.Context(), "bulk"))
	paused, err := ms.PausedQueues(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"bulk"}, paused, "the pause reaches the wrapped storage")
	paused, err = wp.PausedQueues(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"bulk"}, paused)
	require.NoError(t, wp.ResumeQueue(t.Context(), "bulk"))
	_, ok = tr.Storage(struct{ taskq.StorageAdapter }{ms}).(taskq.QueuePauser)
	require.False(t, ok, "no capability added")
	_, ok = tr.Storage(struct{ taskq.StorageAdapter }{ms}).(taskq.FinishedDeleter)
	require.False(t, ok, "no capability added")

	require.NoError(t, wq.Enqueue(t.Context(), "q", taskq.QueueEntry{ID: taskq.NewID()}))
	_, err = ws.GetTask(t.Context(), taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrNotFound)
	names := map[string]bool{}
	for _, s := range exp.GetSpans() {
		names[s.Name] = true
	}
	require.True(t, names["taskq.queue.Enqueue"])
	require.True(t, names["taskq.storage.GetTask"])
	require.True(t, names["taskq.storage.DeleteFinished"])
	require.True(t, names["taskq.storage.PauseQueue"])
}

// relayRecorder is an outbox relay that reports the queue it is run with.
type relayRecorder chan taskq.Queue

func (r relayRecorder) RelayOutbox(_ context.Context, q taskq.Queue) error {
	r <- q
	return nil
}

// TestStorageWrapperKeepsOutboxRelay: a worker given the traced storage
// still runs its outbox relay (storage/postgres has one), with or without
// a storage identity.
func TestStorageWrapperKeepsOutboxRelay(t *testing.T) {
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider()})
	withIdent := struct {
		*storage.Memory
		relayRecorder
	}{storage.NewMemory(), make(relayRecorder, 1)}
	withoutIdent := struct {
		taskq.StorageAdapter
		relayRecorder
	}{storage.NewMemory(), make(relayRecorder, 1)}
	for _, c := range []struct {
		inner   taskq.StorageAdapter
		relayed relayRecorder
		ident   bool
	}{{withIdent, withIdent.relayRecorder, true}, {withoutIdent, withoutIdent.relayRecorder, false}} {
		ws := tr.Storage(c.inner)
		_, wIdent := ws.(taskq.StorageIdentity)
		require.Equal(t, c.ident, wIdent)
		r, ok := ws.(taskq.OutboxRelay)
		require.True(t, ok)
		q := queue.NewMemory()
		require.NoError(t, r.RelayOutbox(t.Context(), q))
		require.Equal(t, taskq.Queue(q), <-c.relayed)
	}
	_, ok := tr.Storage(storage.NewMemory()).(taskq.OutboxRelay)
	require.False(t, ok, "no capability added")
}
