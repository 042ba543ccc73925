package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
)

// TestRestartWithAOFKeepsRecords stores tasks (one with an idempotency
// key, one in the DLQ) on a redis-server with appendonly yes and
// appendfsync always, restarts it gracefully, then kills it with SIGKILL
// and starts it again, and checks after each that a new Store on the same
// prefix reads every record, index and the storage id back unchanged.
func TestRestartWithAOFKeepsRecords(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t, testenv.WithAppendOnly())
	prefix := uniquePrefix()
	ctx := ctxT(t)
	s := newStore(t, srv.URL(), redisstore.Config{KeyPrefix: prefix})
	var ts []*taskq.Task
	for i := range 50 {
		ts = append(ts, task(func(t *taskq.Task) {
			t.Metadata = map[string]any{"i": i}
			if i == 7 {
				t.Owner, t.IdempotencyKey = "alice", "order-7"
			}
		}))
	}
	require.NoError(t, s.CreateTasks(ctx, ts))
	dead := ts[10].Clone()
	dead.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "gave up"}
	_, err := s.MoveTaskToDeadLetter(ctx, dead, 0)
	require.NoError(t, err)
	id, err := s.StorageID(ctx)
	require.NoError(t, err)
	want := make(map[string]*taskq.Task, len(ts))
	for _, task := range ts {
		got, err := s.GetTask(ctx, task.ID)
		require.NoError(t, err)
		want[task.ID] = got
	}

	check := func(when string) {
		t.Helper()
		s2 := newStore(t, srv.URL(), redisstore.Config{KeyPrefix: prefix})
		for _, task := range ts {
			got, err := s2.GetTask(ctx, task.ID)
			require.NoError(t, err, when)
			require.Equal(t, want[task.ID], got, when)
		}
		page, err := s2.ListTasks(ctx, taskq.TaskFilter{Limit: 100})
		require.NoError(t, err, when)
		require.Len(t, page.Tasks, len(ts), when)
		n, err := s2.CountDeadLetterTasks(ctx)
		require.NoError(t, err, when)
		require.Equal(t, 1, n, when)
		_, err = s2.CreateTask(ctx, task(func(t *taskq.Task) { t.Owner, t.IdempotencyKey = "alice", "order-7" }))
		require.ErrorIs(t, err, taskq.ErrDuplicate, "idempotency key kept %s", when)
		got, err := s2.StorageID(ctx)
		require.NoError(t, err, when)
		require.Equal(t, id, got, "storage id %s", when)
	}
	srv.Restart(t)
	check("after a graceful restart")
	srv.Kill(t)
	srv.Start(t)
	check("after SIGKILL")
}

// TestUnavailable checks that every method returns an error matching
// taskq.ErrUnavailable (retryable, code service_unavailable) while the
// server is down, and works again once it is back.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	s := newStore(t, srv.URL(), redisstore.Config{ClientOption: func(o *rueidis.ClientOption) {
		o.Dialer.Timeout = time.Second
	}})
	ctx := ctxT(t)
	a := task()
	_, err := s.CreateTask(ctx, a)
	require.NoError(t, err)
	srv.Stop(t)

	calls := map[string]func(context.Context) error{
		"Ping":    s.Ping,
		"GetTask": func(ctx context.Context) error { _, err := s.GetTask(ctx, a.ID); return err },
		"CreateTask": func(ctx context.Context) error {
			_, err := s.CreateTask(ctx, task())
			return err
		},
		"CreateTasks": func(ctx context.Context) error { return s.CreateTasks(ctx, []*taskq.Task{task()}) },
		"UpdateTask":  func(ctx context.Context) error { return s.UpdateTask(ctx, a) },
		"StartTasks": func(ctx context.Context) error {
			_, err := s.StartTasks(ctx, []string{a.ID}, time.Now())
			return err
		},
		"ListTasks": func(ctx context.Context) error {
			_, err := s.ListTasks(ctx, taskq.TaskFilter{Type: "email"})
			return err
		},
		"DeleteTask": func(ctx context.Context) error { return s.DeleteTask(ctx, a.ID) },
		"GetDeadLetterTasks": func(ctx context.Context) error {
			_, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{})
			return err
		},
		"MoveTaskToDeadLetter": func(ctx context.Context) error {
			_, err := s.MoveTaskToDeadLetter(ctx, a, 1)
			return err
		},
		"CleanupDeadLetterTasks": func(ctx context.Context) error {
			_, err := s.CleanupDeadLetterTasks(ctx, time.Now())
			return err
		},
		"CountDeadLetterTasks": func(ctx context.Context) error {
			_, err := s.CountDeadLetterTasks(ctx)
			return err
		},
		"StorageID": func(ctx context.Context) error { _, err := s.StorageID(ctx); return err },
	}
	for name, call := range calls {
		err := call(ctx)
		require.ErrorIs(t, err, taskq.ErrUnavailable, name)
		var te *taskq.Error
		require.True(t, errors.As(err, &te), name)
		require.True(t, te.Retryable, name)
		require.Equal(t, taskq.CodeServiceUnavailable, te.Code, name)
	}

	srv.Start(t)
	deadline := time.Now().Add(20 * time.Second)
	for s.Ping(ctx) != nil {
		require.True(t, time.Now().Before(deadline), "store did not reconnect")
		time.Sleep(20 * time.Millisecond)
	}
	_, err = s.CreateTask(ctx, task())
	require.NoError(t, err)
}

// TestClosed checks that a closed store refuses calls with an error
// matching taskq.ErrUnavailable.
func TestClosed(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	s, err := redisstore.NewFromURL(srv.URL(), redisstore.Config{KeyPrefix: uniquePrefix()})
	require.NoError(t, err)
	require.NoError(t, s.Ping(ctxT(t)))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is harmless")
	require.ErrorIs(t, s.Ping(ctxT(t)), taskq.ErrUnavailable)
	_, err = s.GetTask(ctxT(t), taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}
