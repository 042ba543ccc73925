package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/storagetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newMemory(t *testing.T) *storage.Memory {
	m := storage.NewMemory()
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

func TestMemory(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) taskq.StorageAdapter { return newMemory(t) })
}

func TestMemoryClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := storage.NewMemory()
	require.NoError(t, m.Ping(ctx))
	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "closing twice is harmless")
	require.ErrorIs(t, m.Ping(ctx), taskq.ErrUnavailable)
	_, err := m.CreateTask(ctx, &taskq.Task{ID: taskq.NewID()})
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	_, err = m.GetTask(ctx, "x")
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	_, err = m.StorageID(ctx)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}

func TestMemoryCancelledContext(t *testing.T) {
	t.Parallel()
	m := newMemory(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := m.CreateTask(ctx, &taskq.Task{ID: taskq.NewID()})
	require.ErrorIs(t, err, context.Canceled)
	_, err = m.StartTasks(ctx, []string{"x"}, time.Now())
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, m.Len())
}

func TestMemoryInvalidTask(t *testing.T) {
	t.Parallel()
	ctx, m := t.Context(), newMemory(t)
	_, err := m.CreateTask(ctx, nil)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	_, err = m.CreateTask(ctx, &taskq.Task{})
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.ErrorIs(t, m.CreateTasks(ctx, []*taskq.Task{{ID: taskq.NewID()}, {}}), taskq.ErrInvalidInput)
	require.ErrorIs(t, m.UpdateTask(ctx, nil), taskq.ErrInvalidInput)
	_, err = m.MoveTaskToDeadLetter(ctx, nil, 0)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.Zero(t, m.Len())
}

func TestMemoryClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	ctx := t.Context()
	m := storage.NewMemory(storage.WithClock(func() time.Time { return at }))
	task := &taskq.Task{ID: taskq.NewID(), Status: taskq.StatusRunning}
	_, err := m.CreateTask(ctx, task)
	require.NoError(t, err)
	_, err = m.MoveTaskToDeadLetter(ctx, task, 0)
	require.NoError(t, err)
	got, err := m.GetDeadLetterTask(ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, at, *got.DeadLetteredAt)
	require.Equal(t, at, got.Updated, "a zero Updated becomes the clock's time")

	other := &taskq.Task{ID: taskq.NewID(), Status: taskq.StatusPending}
	_, err = m.CreateTask(ctx, other)
	require.NoError(t, err)
	started, err := m.StartTasks(ctx, []string{other.ID}, time.Time{})
	require.NoError(t, err)
	require.Len(t, started, 1)
	require.Equal(t, at, *started[0].StartedAt, "a zero now means the clock")
}

// TestMemoryAgainstModel runs random operations and checks ListTasks and
// the DLQ listing against a brute-force model after each, exercising the
// index insertions out of order, tombstones, revival and compaction.
func TestMemoryAgainstModel(t *testing.T) {
	t.Parallel()
	ctx, m := t.Context(), newMemory(t)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	model := map[string]*taskq.Task{}
	var pool []string // ids ever used, for revival and misses
	for i := range 4000 {
		switch op := rng.IntN(10); {
		case op < 4 || len(pool) == 0:
			id := fmt.Sprintf("%08d", rng.IntN(3000))
			if op == 0 && len(pool) > 0 {
				id = pool[rng.IntN(len(pool))]
			}
			task := &taskq.Task{ID: id, Type: []string{"a", "b"}[rng.IntN(2)], Status: taskq.StatusPending}
			_, err := m.CreateTask(ctx, task)
			if _, exists := model[id]; exists {
				require.ErrorIs(t, err, taskq.ErrDuplicate)
			} else {
				require.NoError(t, err)
				model[id] = task
				pool = append(pool, id)
			}
		case op < 6:
			id := pool[rng.IntN(len(pool))]
			err := m.DeleteTask(ctx, id)
			if _, exists := model[id]; exists {
				require.NoError(t, err)
				delete(model, id)
			} else {
				require.ErrorIs(t, err, taskq.ErrNotFound)
			}
		case op < 8:
			id := pool[rng.IntN(len(pool))]
			task, ok := model[id]
			if !ok || task.Status.Terminal() {
				continue
			}
			mv := task.Clone()
			mv.DeadLetteredAt = new(base.Add(time.Duration(rng.IntN(50)) * time.Second))
			_, err := m.MoveTaskToDeadLetter(ctx, mv, 0)
			require.NoError(t, err)
			mv.Status = taskq.StatusDeadLetter
			model[id] = mv
		case op < 9:
			id := pool[rng.IntN(len(pool))]
			if task, ok := model[id]; ok && task.Status == taskq.StatusDeadLetter {
				back := task.Clone()
				back.Status, back.DeadLetteredAt = taskq.StatusPending, nil
				require.NoError(t, m.UpdateTask(ctx, back, taskq.StatusDeadLetter))
				model[id] = back
			}
		default:
			threshold := base.Add(time.Duration(rng.IntN(10)) * time.Second)
			n, err := m.CleanupDeadLetterTasks(ctx, threshold)
			require.NoError(t, err)
			want := 0
			for id, task := range model {
				if task.Status == taskq.StatusDeadLetter && task.DeadLetteredAt.Before(threshold) {
					delete(model, id)
					want++
				}
			}
			require.Equal(t, want, n)
		}
		if i%50 == 0 || i > 3950 {
			checkModel(t, m, model, rng.IntN(7)+1)
		}
	}
}

func checkModel(t *testing.T, m *storage.Memory, model map[string]*taskq.Task, limit int) {
	t.Helper()
	ctx := t.Context()
	require.Equal(t, len(model), m.Len())
	typ := []string{"", "a"}[limit%2]
	var want []string
	var dlq []*taskq.Task
	for id, task := range model {
		if typ == "" || task.Type == typ {
			want = append(want, id)
			if task.Status == taskq.StatusDeadLetter {
				dlq = append(dlq, task)
			}
		}
	}
	slices.Sort(want)
	slices.Reverse(want)
	var got []string
	f := taskq.TaskFilter{Limit: limit, Type: typ}
	for {
		page, err := m.ListTasks(ctx, f)
		require.NoError(t, err)
		for _, task := range page.Tasks {
			got = append(got, task.ID)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	require.Equal(t, want, nilIfEmpty(got))

	slices.SortFunc(dlq, func(a, b *taskq.Task) int {
		if c := a.DeadLetteredAt.Compare(*b.DeadLetteredAt); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	var wantDLQ, gotDLQ []string
	for _, task := range dlq {
		wantDLQ = append(wantDLQ, task.ID)
	}
	df := taskq.DeadLetterFilter{Limit: limit, Type: typ}
	for {
		page, err := m.GetDeadLetterTasks(ctx, df)
		require.NoError(t, err)
		for _, task := range page.Tasks {
			gotDLQ = append(gotDLQ, task.ID)
		}
		if page.NextCursor == "" {
			break
		}
		df.Cursor = page.NextCursor
	}
	require.Equal(t, wantDLQ, gotDLQ)
	if typ == "" {
		n, err := m.CountDeadLetterTasks(ctx)
		require.NoError(t, err)
		require.Equal(t, len(dlq), n)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestMemoryDLQCursorRejectsGarbage(t *testing.T) {
	t.Parallel()
	ctx, m := t.Context(), newMemory(t)
	// Well-formed base64 whose content is not a DLQ cursor.
	for _, c := range []string{"YWJj", "MTIz", "eDoxMjM", "MS4yOg"} {
		_, err := m.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{Cursor: c})
		require.ErrorIs(t, err, taskq.ErrInvalidInput, "cursor %q", c)
	}
}

// Every Memory is a data set of its own: its identity is stable and
// differs from another instance's.
func TestMemoryStorageID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := newMemory(t), newMemory(t)
	idA, err := a.StorageID(ctx)
	require.NoError(t, err)
	again, err := a.StorageID(ctx)
	require.NoError(t, err)
	idB, err := b.StorageID(ctx)
	require.NoError(t, err)
	require.Equal(t, idA, again)
	require.NotEqual(t, idA, idB)
	require.Len(t, idA, 36, "a UUID")
}

// TestMemoryLimits fills a capped store: creating beyond a cap fails with
// ErrQuotaExceeded and stores nothing; deleting makes room again.
func TestMemoryLimits(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	mk := func(md map[string]any) *taskq.Task {
		now := time.Now()
		return &taskq.Task{ID: taskq.NewID(), Type: "t", Status: taskq.StatusPending, Queue: taskq.DefaultQueue,
			Created: now, Updated: now, RunAt: now, Metadata: md}
	}
	m := storage.NewMemory(storage.WithLimits(3, 0))
	a, b := mk(nil), mk(nil)
	require.NoError(t, m.CreateTasks(ctx, []*taskq.Task{a, b}))
	err := m.CreateTasks(ctx, []*taskq.Task{mk(nil), mk(nil)})
	require.ErrorIs(t, err, taskq.ErrQuotaExceeded)
	require.Contains(t, err.Error(), "memory store is full (3 tasks)")
	require.Equal(t, 2, m.Len(), "a batch beyond the cap stores none")
	_, err = m.CreateTask(ctx, mk(nil))
	require.NoError(t, err)
	_, err = m.CreateTask(ctx, mk(nil))
	require.ErrorIs(t, err, taskq.ErrQuotaExceeded)
	require.NoError(t, m.DeleteTask(ctx, a.ID))
	_, err = m.CreateTask(ctx, mk(nil))
	require.NoError(t, err, "deleting made room")

	big := map[string]any{"blob": strings.Repeat("x", 10_000)}
	mb := storage.NewMemory(storage.WithLimits(0, 25_000))
	_, err = mb.CreateTask(ctx, mk(big))
	require.NoError(t, err)
	_, err = mb.CreateTask(ctx, mk(big))
	require.NoError(t, err)
	_, err = mb.CreateTask(ctx, mk(big))
	require.ErrorIs(t, err, taskq.ErrQuotaExceeded)
	require.Contains(t, err.Error(), "25000 bytes")
	_, err = mb.CreateTask(ctx, mk(nil))
	require.NoError(t, err, "a small record still fits")
}
