package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// waitingGets is the number of GetTask calls waiting for a read slot.
func waitingGets(s *Store) int {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	return len(s.reads.waiting)
}

// inFlightGets is the number of GetTask reads in flight.
func inFlightGets(s *Store) int {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	return s.reads.inFlight
}

// TestGetTaskWaitersShareOneStatement fills the read slots with calls
// blocked on the pool (the test holds its two connections), queues more
// calls behind them (one id twice, one missing, one that gives up), then
// frees the pool: the queued calls are served by one statement, each with
// its own copy of its record.
func TestGetTaskWaitersShareOneStatement(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(takeTestDB(t, testenv.SharedPostgres(t)))
	require.NoError(t, err)
	cfg.MaxConns = maxGetsInFlight
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s, err := New(ctx, pool, Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	var ids []string
	for i := range 4 {
		got, err := s.CreateTask(ctx, readTask(i))
		require.NoError(t, err)
		ids = append(ids, got.ID)
	}
	missing := taskq.NewID()

	held := make([]*pgxpool.Conn, maxGetsInFlight)
	for i := range held {
		held[i], err = pool.Acquire(ctx)
		require.NoError(t, err)
	}
	var releaseOnce sync.Once
	release := func() {
		releaseOnce.Do(func() {
			for _, c := range held {
				c.Release()
			}
		})
	}
	t.Cleanup(release) // before the pool closes, should the test fail early
	type result struct {
		t   *taskq.Task
		err error
	}
	get := func(ctx context.Context, id string) <-chan result {
		out := make(chan result, 1)
		go func() {
			got, err := s.GetTask(ctx, id)
			out <- result{got, err}
		}()
		return out
	}
	// Calls take the slots and wait for a connection.
	var first []<-chan result
	for i := range maxGetsInFlight {
		first = append(first, get(ctx, ids[i%len(ids)]))
	}
	require.Eventually(t, func() bool { return inFlightGets(s) == maxGetsInFlight }, 10*time.Second, time.Millisecond)
	// These wait for a slot.
	queued := []string{ids[2], ids[3], ids[2], missing}
	var later []<-chan result
	for _, id := range queued {
		later = append(later, get(ctx, id))
	}
	gaveUpCtx, giveUp := context.WithCancel(ctx)
	gaveUp := get(gaveUpCtx, ids[3])
	require.Eventually(t, func() bool { return waitingGets(s) == len(queued)+1 }, 10*time.Second, time.Millisecond)
	giveUp()
	r := <-gaveUp
	require.ErrorIs(t, r.err, context.Canceled)
	require.Equal(t, len(queued), waitingGets(s), "the call that gave up left the queue")
	require.Zero(t, s.reads.batches.Load(), "nothing is read while both slots are taken")

	release()
	for i, ch := range first {
		r := <-ch
		require.NoError(t, r.err)
		assert.Equal(t, ids[i%len(ids)], r.t.ID)
	}
	got := make([]result, len(later))
	for i, ch := range later {
		got[i] = <-ch
	}
	for i, id := range queued[:3] {
		require.NoError(t, got[i].err, id)
		assert.Equal(t, id, got[i].t.ID)
		assert.Equal(t, "read", got[i].t.Type)
		assert.Equal(t, taskq.StatusPending, got[i].t.Status)
	}
	assert.Equal(t, json.Number("3"), got[1].t.Metadata["i"], "each record scanned into its own call")
	require.NotSame(t, got[0].t, got[2].t, "two calls for one id get two copies")
	got[0].t.Metadata["i"] = "changed"
	assert.Equal(t, json.Number("2"), got[2].t.Metadata["i"])
	require.True(t, errors.Is(got[3].err, taskq.ErrNotFound), "missing id: %v", got[3].err)
	assert.EqualValues(t, 1, s.reads.batches.Load(), "the four queued calls shared one statement")

	// Every slot is free again: a lone call goes out at once.
	require.Zero(t, inFlightGets(s))
	one, err := s.GetTask(ctx, ids[1])
	require.NoError(t, err)
	require.Equal(t, ids[1], one.ID)
	assert.EqualValues(t, 1, s.reads.batches.Load())
}

// TestGetTaskConcurrentReads reads records, present and missing, from many
// goroutines at once: every call gets its own record or not found,
// however the calls were batched.
func TestGetTaskConcurrentReads(t *testing.T) {
	ctx := context.Background()
	s := NewTestStore(t, Config{})
	var ids []string
	for i := range 40 {
		got, err := s.CreateTask(ctx, readTask(i))
		require.NoError(t, err)
		ids = append(ids, got.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 30 {
				i := (g*7 + k) % 50
				if i >= len(ids) {
					_, err := s.GetTask(ctx, taskq.NewID())
					if !errors.Is(err, taskq.ErrNotFound) {
						errs <- errors.Join(errors.New("missing id not reported as not found"), err)
						return
					}
					continue
				}
				got, err := s.GetTask(ctx, ids[i])
				if err != nil {
					errs <- err
					return
				}
				if got.ID != ids[i] || got.Metadata["i"] != json.Number(strconv.Itoa(i)) {
					errs <- fmt.Errorf("GetTask(%s) = %s with metadata %v", ids[i], got.ID, got.Metadata)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// readTask is a pending task with metadata {"i": i}.
func readTask(i int) *taskq.Task {
	now := time.Now().UTC()
	return &taskq.Task{ID: taskq.NewID(), Type: "read", Status: taskq.StatusPending, Priority: taskq.PriorityMedium,
		Queue: "default", Created: now, Updated: now, RunAt: now, Metadata: map[string]any{"i": i}}
}
