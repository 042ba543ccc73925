package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

func TestMapError(t *testing.T) {
	t.Parallel()
	pgErr := func(code string) error {
		return &pgconn.PgError{Severity: "ERROR", Code: code, Message: "secret detail", Detail: "INSERT INTO tasks"}
	}
	for _, c := range []struct {
		name      string
		err       error
		code      taskq.ErrorCode
		retryable bool
	}{
		{"no rows", pgx.ErrNoRows, taskq.CodeNotFound, false},
		{"unique violation", pgErr("23505"), taskq.CodeConflict, false},
		{"check violation", pgErr("23514"), taskq.CodeValidation, false},
		{"syntax error", pgErr("42601"), taskq.CodeInternal, true},
		{"admin shutdown", pgErr("57P01"), taskq.CodeServiceUnavailable, true},
		{"cannot connect now", pgErr("57P03"), taskq.CodeServiceUnavailable, true},
		{"connection failure", pgErr("08006"), taskq.CodeServiceUnavailable, true},
		{"too many connections", pgErr("53300"), taskq.CodeServiceUnavailable, true},
		{"deadlock", pgErr("40P01"), taskq.CodeServiceUnavailable, true},
		{"statement timeout", pgErr("57014"), taskq.CodeServiceUnavailable, true},
		{"deadline", fmt.Errorf("secret detail: %w", context.DeadlineExceeded), taskq.CodeServiceUnavailable, true},
		{"cancelled", fmt.Errorf("secret detail: %w", context.Canceled), taskq.CodeServiceUnavailable, true},
		{"eof", fmt.Errorf("secret detail: %w", io.ErrUnexpectedEOF), taskq.CodeServiceUnavailable, true},
		{"conn closed", fmt.Errorf("secret detail: %w", pgconn.ErrConnClosed), taskq.CodeServiceUnavailable, true},
		{"scan", pgx.ScanArgError{ColumnIndex: 1, Err: errors.New("secret detail")}, taskq.CodeInternal, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := mapError("get task", c.err)
			var te *taskq.Error
			require.True(t, errors.As(got, &te))
			require.Equal(t, c.code, te.Code)
			require.Equal(t, c.retryable, te.Retryable)
			require.ErrorIs(t, got, c.err, "the driver error stays the cause")
			require.True(t, strings.HasPrefix(te.Message, "get task: "), te.Message)
			require.NotContains(t, te.Message, "secret")
			require.NotContains(t, te.Message, "INSERT")
			require.NotContains(t, te.Message, "SQLSTATE")
		})
	}
	require.NoError(t, mapError("x", nil))
	already := &taskq.Error{Code: taskq.CodeConflict, Message: "kept"}
	require.Same(t, already, mapError("x", already))
}

func TestRolledBack(t *testing.T) {
	t.Parallel()
	require.True(t, rolledBack(&pgconn.PgError{Code: "23514"}))
	require.True(t, rolledBack(&pgconn.PgError{Code: "40P01"}))
	require.False(t, rolledBack(&pgconn.PgError{Code: "57P01"}))
	require.False(t, rolledBack(&pgconn.PgError{Code: "08006"}))
	require.False(t, rolledBack(io.EOF))
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	t.Parallel()
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/none?sslmode=disable&connect_timeout=2", testenv.FreePort(t))
	_, err := Open(t.Context(), url, Config{})
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	var te *taskq.Error
	require.True(t, errors.As(err, &te))
	require.True(t, te.Retryable)
	require.NotContains(t, te.Message, "127.0.0.1")
}

func TestOpenMalformedURL(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), "postgres://user:hunter2@[::1", Config{})
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	var te *taskq.Error
	require.True(t, errors.As(err, &te))
	require.NotContains(t, te.Message, "hunter2")
}

func TestNewNeedsPool(t *testing.T) {
	t.Parallel()
	_, err := New(t.Context(), nil, Config{})
	require.ErrorContains(t, err, "pgxpool")
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{MaxBatch: -1}, {MaxInFlight: -1}, {BatchWindow: -1}, {WriteTimeout: -1}} {
		require.Error(t, c.withDefaults().validate(), "%+v", c)
	}
	require.NoError(t, Config{}.withDefaults().validate())
}

// A real server error reaches the caller with a sanitized message.
func TestServerErrorsAreSanitized(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	dup := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "q"}
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{dup}))
	err := s.CreateTasks(ctx, []*taskq.Task{dup})
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	var te *taskq.Error
	require.True(t, errors.As(err, &te))
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "the driver error is kept as the cause")
	for _, leak := range []string{"tasks_pkey", "COPY", "SQLSTATE", "duplicate key"} {
		require.NotContains(t, te.Message, leak)
	}

	// A task that breaks a CHECK constraint: validation, not internal.
	bad := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: "bogus", Queue: "q"}
	_, err = s.CreateTask(ctx, bad)
	require.ErrorIs(t, err, taskq.ErrValidation)
	require.NotContains(t, err.(*taskq.Error).Message, "tasks_status_check")

	// Non-UUID ids cannot exist.
	_, err = s.GetTask(ctx, "not-a-uuid")
	require.ErrorIs(t, err, taskq.ErrNotFound)
	_, err = s.CreateTask(ctx, &taskq.Task{ID: "not-a-uuid", Type: "x", Status: taskq.StatusPending, Queue: "q"})
	require.ErrorIs(t, err, taskq.ErrValidation)
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	task := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "q"}
	_, err := s.CreateTask(ctx, task)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	require.ErrorIs(t, s.Ping(ctx), taskq.ErrUnavailable)
	require.ErrorIs(t, s.UpdateTask(ctx, task), taskq.ErrUnavailable)
	_, err = s.GetTask(ctx, task.ID)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}
