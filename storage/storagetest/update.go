package storagetest

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// mutate changes every mutable field of t (those UpdateTask writes).
func mutate(t *taskq.Task) {
	n := now().Add(time.Minute)
	t.Status = taskq.StatusFailed
	t.Priority = taskq.PriorityHigh
	t.RunAt = n.Add(10 * time.Second)
	t.StartedAt = new(n.Add(-time.Second))
	t.CompletedAt = new(n)
	t.RetryCount = 4
	t.Attempts = 5
	t.Error = &taskq.TaskError{Code: taskq.CodeNetwork, Message: "reset by peer", Retryable: true}
	t.Result = json.RawMessage(`{"partial": true}`)
	t.DLQRetryCount = 2
	t.DeadLetteredAt = new(n.Add(-time.Hour))
	t.Updated = n
}

func testUpdateTask(t *testing.T, newStore Factory) {
	t.Run("OverwritesMutableFields", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		orig := newTask()
		create(t, ctx, s, orig)
		want := orig.Clone()
		mutate(want)
		require.NoError(t, s.UpdateTask(ctx, want))
		requireTaskEqual(t, want, get(t, ctx, s, orig.ID))
	})

	t.Run("ClearsOptionalFields", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		orig := newTask(mutate)
		create(t, ctx, s, orig)
		want := orig.Clone()
		want.Status = taskq.StatusPending
		want.StartedAt, want.CompletedAt, want.DeadLetteredAt = nil, nil, nil
		want.Error, want.Result = nil, nil
		require.NoError(t, s.UpdateTask(ctx, want))
		got := get(t, ctx, s, orig.ID)
		requireTaskEqual(t, want, got)
		require.Nil(t, got.Error)
		require.Empty(t, got.Result)
	})

	t.Run("KeepsImmutableFields", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		orig := fullTask()
		orig.Status = taskq.StatusRunning
		create(t, ctx, s, orig)
		upd := orig.Clone()
		upd.Status = taskq.StatusCompleted
		upd.Type = "other.type"
		upd.Description = "other"
		upd.Created = upd.Created.Add(-time.Hour)
		upd.Deadline = new(upd.Deadline.Add(time.Hour))
		upd.MaxRetries = 1
		upd.Metadata = map[string]any{"other": true}
		upd.Queue = "other"
		upd.Timeout = 9 * time.Second
		upd.Owner = "mallory"
		upd.IdempotencyKey = "other"
		require.NoError(t, s.UpdateTask(ctx, upd))
		want := orig.Clone()
		want.Status = taskq.StatusCompleted
		requireTaskEqual(t, want, get(t, ctx, s, orig.ID))
	})

	t.Run("ExpectedStatusMatches", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusFailed))
		create(t, ctx, s, a)
		a.Status = taskq.StatusRunning
		require.NoError(t, s.UpdateTask(ctx, a, taskq.StatusPending, taskq.StatusFailed))
		require.Equal(t, taskq.StatusRunning, get(t, ctx, s, a.ID).Status)
	})

	t.Run("CompletedCannotGoBackToRunning", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusCompleted))
		create(t, ctx, s, a)
		upd := a.Clone()
		upd.Status = taskq.StatusRunning
		upd.Attempts = 9
		err := s.UpdateTask(ctx, upd, taskq.StatusPending, taskq.StatusFailed, taskq.StatusRunning)
		require.ErrorIs(t, err, taskq.ErrConflict)
		requireTaskEqual(t, a, get(t, ctx, s, a.ID), "a failed precondition changes nothing")
	})

	t.Run("CancelledStaysCancelled", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusCancelled))
		create(t, ctx, s, a)
		upd := a.Clone()
		upd.Status = taskq.StatusCompleted
		upd.Result = json.RawMessage(`{"late": true}`)
		require.ErrorIs(t, s.UpdateTask(ctx, upd, taskq.StatusRunning), taskq.ErrConflict)
		requireTaskEqual(t, a, get(t, ctx, s, a.ID))
	})

	t.Run("NoExpectationUpdatesAnyStatus", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusCompleted))
		create(t, ctx, s, a)
		a.Status = taskq.StatusPending
		a.CompletedAt = nil
		require.NoError(t, s.UpdateTask(ctx, a))
		requireTaskEqual(t, a, get(t, ctx, s, a.ID))
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		create(t, ctx, s, newTask())
		missing := newTask()
		require.ErrorIs(t, s.UpdateTask(ctx, missing), taskq.ErrNotFound)
		require.ErrorIs(t, s.UpdateTask(ctx, missing, taskq.StatusPending), taskq.ErrNotFound)
		requireNotFound(t, ctx, s, missing.ID)
	})

	t.Run("StoresACopy", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		upd := a.Clone()
		mutate(upd)
		want := upd.Clone()
		require.NoError(t, s.UpdateTask(ctx, upd))
		upd.Error.Message = "changed"
		upd.Result[2] = 'X'
		*upd.StartedAt = upd.StartedAt.Add(time.Hour)
		requireTaskEqual(t, want, get(t, ctx, s, a.ID))
	})
}

// testRaces checks that conditional writes are atomic: of several
// conflicting updates exactly one wins.
func testRaces(t *testing.T, newStore Factory) {
	const workers = 8

	t.Run("OneOfManyCompletionsWins", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, a)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				upd := a.Clone()
				upd.Status = taskq.StatusCompleted
				upd.Result = json.RawMessage(`{"worker": ` + strconv.Itoa(i) + `}`)
				errs[i] = s.UpdateTask(ctx, upd, taskq.StatusRunning)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two updates won")
				winner = i
				continue
			}
			require.ErrorIs(t, err, taskq.ErrConflict)
		}
		require.NotEqual(t, -1, winner, "no update won")
		got := get(t, ctx, s, a.ID)
		require.Equal(t, taskq.StatusCompleted, got.Status)
		require.JSONEq(t, `{"worker": `+strconv.Itoa(winner)+`}`, string(got.Result), "the winner's write is stored")
	})

	t.Run("CancelRacesCompletion", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		for range 20 {
			a := newTask(withStatus(taskq.StatusRunning))
			create(t, ctx, s, a)
			var cancelErr, completeErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				upd := a.Clone()
				upd.Status = taskq.StatusCancelled
				cancelErr = s.UpdateTask(ctx, upd, taskq.StatusPending, taskq.StatusRunning, taskq.StatusFailed)
			})
			wg.Go(func() {
				upd := a.Clone()
				upd.Status = taskq.StatusCompleted
				completeErr = s.UpdateTask(ctx, upd, taskq.StatusRunning)
			})
			wg.Wait()
			got := get(t, ctx, s, a.ID)
			if cancelErr == nil {
				require.ErrorIs(t, completeErr, taskq.ErrConflict)
				require.Equal(t, taskq.StatusCancelled, got.Status)
			} else {
				require.ErrorIs(t, cancelErr, taskq.ErrConflict)
				require.NoError(t, completeErr)
				require.Equal(t, taskq.StatusCompleted, got.Status)
			}
		}
	})

	t.Run("ConcurrentStartsCountEveryAttempt", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		started := make([]int, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				got, err := s.StartTasks(ctx, []string{a.ID}, now())
				errs[i] = err
				if len(got) == 1 {
					started[i] = got[0].Attempts
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.ElementsMatch(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, started, "each start sees its own attempt number")
		require.Equal(t, workers, get(t, ctx, s, a.ID).Attempts)
	})

	t.Run("StartRacesCancel", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		for range 20 {
			a := newTask()
			create(t, ctx, s, a)
			var started []*taskq.Task
			var startErr, cancelErr error
			var wg sync.WaitGroup
			wg.Go(func() { started, startErr = s.StartTasks(ctx, []string{a.ID}, now()) })
			wg.Go(func() {
				upd := a.Clone()
				upd.Status = taskq.StatusCancelled
				cancelErr = s.UpdateTask(ctx, upd, taskq.StatusPending)
			})
			wg.Wait()
			require.NoError(t, startErr)
			got := get(t, ctx, s, a.ID)
			if cancelErr == nil {
				// The cancel came first, so the start skipped the task.
				require.Empty(t, started)
				require.Equal(t, taskq.StatusCancelled, got.Status)
				require.Zero(t, got.Attempts)
			} else {
				require.ErrorIs(t, cancelErr, taskq.ErrConflict)
				require.Len(t, started, 1)
				require.Equal(t, taskq.StatusRunning, got.Status)
				require.Equal(t, 1, got.Attempts)
			}
		}
	})
}
