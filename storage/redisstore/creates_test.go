package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// TestMergedCreatesKeepIndexes sends creates of every kind in one script
// run: new tasks of several queues, types and owners (pending now, pending
// later, completed), an id that exists, an idempotency key that exists,
// and an id and a key that an earlier create of the same run took, which
// must be refused with that task. Then it checks every reply and that the
// indexes and counters match the records.
func TestMergedCreatesKeepIndexes(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(mods ...func(*taskq.Task)) *taskq.Task {
		tk := &taskq.Task{ID: taskq.NewID(), Type: "t0", Queue: "q0", Status: taskq.StatusPending,
			Created: now, Updated: now, RunAt: now, MaxRetries: 3, Metadata: map[string]any{"n": 1}}
		for _, m := range mods {
			m(tk)
		}
		return tk
	}
	owner := func(o string) func(*taskq.Task) { return func(tk *taskq.Task) { tk.Owner = o } }
	key := func(k string) func(*taskq.Task) { return func(tk *taskq.Task) { tk.IdempotencyKey = k } }

	// Stored before the run.
	old := mk()
	oldKeyed := mk(owner("alice"), key("k1"))
	for _, tk := range []*taskq.Task{old, oldKeyed} {
		_, err := s.CreateTask(ctx, tk)
		require.NoError(t, err)
	}

	first := mk(owner("alice"), key("k2"), func(tk *taskq.Task) { tk.Queue, tk.Type = "q1", "t1" })
	at := now.Add(time.Second)
	type create struct {
		name string
		tk   *taskq.Task
		dup  string // id of the task a refused create names; "" when stored
	}
	creates := []create{
		{"new, alice", first, ""},
		{"new, later", mk(func(tk *taskq.Task) { tk.RunAt = now.Add(time.Hour); tk.Queue = "q2" }), ""},
		{"new, completed", mk(owner("bob"), func(tk *taskq.Task) {
			tk.Status, tk.CompletedAt, tk.Metadata = taskq.StatusCompleted, &at, nil
		}), ""},
		{"existing id", mk(func(tk *taskq.Task) { tk.ID = old.ID }), old.ID},
		{"existing key", mk(owner("alice"), key("k1")), oldKeyed.ID},
		{"id taken in the run", mk(func(tk *taskq.Task) { tk.ID = first.ID; tk.Queue = "q2" }), first.ID},
		{"key taken in the run", mk(owner("alice"), key("k2"), func(tk *taskq.Task) { tk.Type = "t1" }), first.ID},
		{"same key, other owner", mk(owner("bob"), key("k2")), ""},
		{"new, no metadata", mk(owner("bob"), func(tk *taskq.Task) { tk.Metadata = nil }), ""},
	}

	s.creates.Hold()
	got := make([]*taskq.Task, len(creates))
	errs := make([]error, len(creates))
	var wg sync.WaitGroup
	for i, c := range creates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.CreateTask(ctx, c.tk)
		}()
		// One at a time, so the run holds them in this order.
		require.Eventually(t, func() bool { return s.creates.Pending() == i+1 }, 10*time.Second, time.Millisecond)
	}
	s.creates.Flush()
	wg.Wait()

	for i, c := range creates {
		if c.dup == "" {
			require.NoError(t, errs[i], c.name)
			require.Equal(t, c.tk.ID, got[i].ID, c.name)
			stored, err := s.GetTask(ctx, c.tk.ID)
			require.NoError(t, err, c.name)
			require.Equal(t, c.tk.Queue, stored.Queue, c.name)
			require.Equal(t, c.tk.Status, stored.Status, c.name)
			continue
		}
		require.ErrorIs(t, errs[i], taskq.ErrDuplicate, c.name)
		require.NotNil(t, got[i], c.name)
		require.Equal(t, c.dup, got[i].ID, c.name)
	}
	// The refused create with first's id left first as it was.
	stored, err := s.GetTask(ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, "q1", stored.Queue)
	checkIndexes(t, s)
}

// TestMergedCreatesClose closes the Store while creates wait for a merged
// call: they end with an error matching taskq.ErrUnavailable.
func TestMergedCreatesClose(t *testing.T) {
	srv := testenv.StartRedis(t)
	s, err := NewFromURL(srv.URL(), Config{KeyPrefix: fmt.Sprintf("c%d", internalSeq.Add(1))})
	require.NoError(t, err)
	ctx := t.Context()
	now := time.Now().UTC()

	s.creates.Hold()
	errc := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := s.CreateTask(ctx, &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now})
			errc <- err
		}()
	}
	require.Eventually(t, func() bool { return s.creates.Pending() == 3 }, 10*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	s.creates.Flush() // what the call in flight does on returning
	for range 3 {
		require.ErrorIs(t, <-errc, taskq.ErrUnavailable)
	}
}

// TestCreateWithEndedContext: a create whose context has ended stores
// nothing and says so, though creates are merged.
func TestCreateWithEndedContext(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	now := time.Now().UTC()
	tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
	_, err := s.CreateTask(ctx, tk)
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.GetTask(t.Context(), tk.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)
}
