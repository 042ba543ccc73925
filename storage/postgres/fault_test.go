package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
)

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for %s", what)
		case <-tick.C:
		}
	}
}

// faultRun drives tasks through create → start → complete against a store
// that may go away, retrying every step that fails as unavailable. A retry
// after an unavailable error may find that the first attempt committed
// (duplicate on create, conflict on complete); it checks that and goes on.
type faultRun struct {
	s           *postgres.Store
	unavailable atomic.Int64
	completed   atomic.Int64
	mu          sync.Mutex
	ids         []string
}

func (r *faultRun) retry(ctx context.Context, step func(retried bool) error) error {
	retried := false
	for {
		err := step(retried)
		if err == nil || !errors.Is(err, taskq.ErrUnavailable) {
			return err
		}
		r.unavailable.Add(1)
		retried = true
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond): // backoff between retries
		}
	}
}

func (r *faultRun) one(ctx context.Context, worker, i int) error {
	now := time.Now().UTC()
	task := &taskq.Task{ID: taskq.NewID(), Type: "fault", Status: taskq.StatusPending, Priority: taskq.PriorityMedium,
		Created: now, Updated: now, RunAt: now, Queue: "default", MaxRetries: 3,
		Metadata: map[string]any{"worker": worker, "i": i}}
	err := r.retry(ctx, func(retried bool) error {
		_, err := r.s.CreateTask(ctx, task)
		if retried && errors.Is(err, taskq.ErrDuplicate) {
			return nil // the lost attempt had committed
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	r.mu.Lock()
	r.ids = append(r.ids, task.ID)
	r.mu.Unlock()
	var started *taskq.Task
	err = r.retry(ctx, func(bool) error {
		got, err := r.s.StartTasks(ctx, []string{task.ID}, time.Now())
		if err == nil {
			if len(got) != 1 {
				return fmt.Errorf("start: got %d tasks", len(got))
			}
			started = got[0]
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	done := started.Clone()
	done.Status = taskq.StatusCompleted
	done.Updated = time.Now().UTC()
	done.CompletedAt = new(done.Updated)
	done.Result = []byte(`{"ok":true}`)
	err = r.retry(ctx, func(retried bool) error {
		err := r.s.UpdateTask(ctx, done, taskq.StatusRunning)
		if retried && errors.Is(err, taskq.ErrConflict) {
			cur, gerr := r.s.GetTask(ctx, task.ID)
			if gerr != nil {
				return gerr
			}
			if cur.Status == taskq.StatusCompleted {
				return nil // the lost attempt had committed
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	r.completed.Add(1)
	return nil
}

// TestPostgresDownAndBack stops PostgreSQL in the middle of a run of
// concurrent creates and updates: Ping and the calls fail as
// service_unavailable (retryable), and once PostgreSQL is back the run
// finishes with every task stored and completed.
func TestPostgresDownAndBack(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	url := pg.NewDatabase(t) + "&connect_timeout=2"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, url, postgres.Config{WriteTimeout: 5 * time.Second})
	require.NoError(t, err)
	defer s.Close()

	const workers, perWorker = 8, 150
	r := &faultRun{s: s}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range perWorker {
				if err := r.one(ctx, w, i); err != nil {
					errs <- fmt.Errorf("worker %d task %d: %w", w, i, err)
					return
				}
			}
			errs <- nil
		}()
	}

	waitFor(t, 30*time.Second, "progress before the outage", func() bool { return r.completed.Load() >= 50 })
	require.NoError(t, pg.Stop())
	atStop := r.completed.Load()
	var pingErr error
	waitFor(t, 10*time.Second, "Ping to report the database down", func() bool {
		pingErr = s.Ping(ctx)
		return pingErr != nil
	})
	require.ErrorIs(t, pingErr, taskq.ErrUnavailable)
	var te *taskq.Error
	require.True(t, errors.As(pingErr, &te))
	require.True(t, te.Retryable)
	require.Equal(t, taskq.CodeServiceUnavailable, te.Code)
	waitFor(t, 10*time.Second, "calls to fail as unavailable", func() bool { return r.unavailable.Load() > 0 })
	require.Less(t, r.completed.Load(), int64(workers*perWorker), "the outage hit the run before it ended")

	require.NoError(t, pg.Start())
	waitFor(t, 10*time.Second, "Ping to report the database up", func() bool { return s.Ping(ctx) == nil })
	for range workers {
		require.NoError(t, <-errs)
	}
	t.Logf("completed %d tasks before the stop, %d in all; %d calls failed as unavailable and were retried",
		atStop, r.completed.Load(), r.unavailable.Load())

	// Nothing lost: every created task is stored, completed, with its result.
	require.Len(t, r.ids, workers*perWorker)
	for _, id := range r.ids {
		got, err := s.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusCompleted, got.Status, id)
		require.JSONEq(t, `{"ok":true}`, string(got.Result))
		require.GreaterOrEqual(t, got.Attempts, 1)
	}
	var stored int
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM taskq.tasks").Scan(&stored))
	require.Equal(t, workers*perWorker, stored, "no stray records")
}
