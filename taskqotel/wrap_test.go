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

// TestStorageWrapperKeepsScheduleStore: the traced storage keeps
// taskq.ScheduleStore (with the other capabilities of the storage), its
// calls are spans, and a storage without it does not gain it.
func TestStorageWrapperKeepsScheduleStore(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	withRelay := struct {
		*storage.Memory
		relayRecorder
	}{storage.NewMemory(), make(relayRecorder, 1)}
	for _, inner := range []taskq.StorageAdapter{storage.NewMemory(), withRelay} {
		ws := tr.Storage(inner)
		_, ident := ws.(taskq.StorageIdentity)
		require.True(t, ident)
		_, relay := ws.(taskq.OutboxRelay)
		_, innerRelay := inner.(taskq.OutboxRelay)
		require.Equal(t, innerRelay, relay)
		ss, ok := ws.(taskq.ScheduleStore)
		require.True(t, ok)
		require.NoError(t, ss.CreateSchedule(t.Context(), taskq.StoredSchedule{Name: "beat", Spec: "@every 1s", Type: "noop"}))
		got, err := inner.(taskq.ScheduleStore).ListSchedules(t.Context())
		require.NoError(t, err)
		require.Len(t, got, 1)
		got, err = ss.ListSchedules(t.Context())
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.NoError(t, ss.DeleteSchedule(t.Context(), "beat"))
	}
	names := map[string]bool{}
	for _, s := range exp.GetSpans() {
		names[s.Name] = true
	}
	require.True(t, names["taskq.storage.CreateSchedule"])
	require.True(t, names["taskq.storage.ListSchedules"])
	require.True(t, names["taskq.storage.DeleteSchedule"])

	bare := struct{ taskq.StorageAdapter }{storage.NewMemory()}
	_, ok := tr.Storage(bare).(taskq.ScheduleStore)
	require.False(t, ok, "no capability added")
}

// dispatchingStore is a memory storage that claims to dispatch into one
// queue (taskq.Dispatcher).
type dispatchingStore struct {
	*storage.Memory
	into taskq.Queue
}

func (s dispatchingStore) Dispatches(q taskq.Queue) bool { return q == s.into }

// TestTracedStorageForwardsDispatcher: a traced storage answers Dispatches
// as the storage it wraps does, for the queue under the tracing wrappers,
// so a Client over a traced dispatching store and its traced queue does
// not push the entries the store already wrote; a storage without the
// capability answers false.
func TestTracedStorageForwardsDispatcher(t *testing.T) {
	tr := taskqotel.New(taskqotel.Config{TracerProvider: sdktrace.NewTracerProvider()})
	own, other := queue.NewMemory(), queue.NewMemory()
	ws := tr.Storage(dispatchingStore{Memory: storage.NewMemory(), into: own})
	d, ok := ws.(taskq.Dispatcher)
	require.True(t, ok)
	require.True(t, d.Dispatches(own))
	require.True(t, d.Dispatches(tr.Queue(own)), "seen through the queue's wrapper")
	require.True(t, d.Dispatches(tr.Queue(tr.Queue(own))), "and through two")
	require.False(t, d.Dispatches(tr.Queue(other)))

	plain, ok := tr.Storage(storage.NewMemory()).(taskq.Dispatcher)
	require.True(t, ok)
	require.False(t, plain.Dispatches(own), "a storage that does not dispatch")

	// The Client leaves the push to the store: the queue stays empty.
	c, err := taskq.NewClient(ws, tr.Queue(own), taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = c.Enqueue(t.Context(), "x", nil)
	require.NoError(t, err)
	st, err := own.Stats(t.Context(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "no second push")
}
