package taskq_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestPriorityJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want taskq.TaskPriority
		err  bool
	}{
		{`0`, taskq.PriorityLow, false},
		{`3`, taskq.PriorityCritical, false},
		{`"high"`, taskq.PriorityHigh, false},
		{`"CRITICAL"`, taskq.PriorityCritical, false},
		{`"Medium"`, taskq.PriorityMedium, false},
		{`"2"`, taskq.PriorityHigh, false},
		{`4`, 0, true},
		{`-1`, 0, true},
		{`"urgent"`, 0, true},
		{`1.5`, 0, true},
	}
	for _, c := range cases {
		var p taskq.TaskPriority
		err := json.Unmarshal([]byte(c.in), &p)
		if c.err {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, p, c.in)
	}
	b, err := json.Marshal(taskq.PriorityHigh)
	require.NoError(t, err)
	require.Equal(t, `2`, string(b), "output is the integer")
	require.Equal(t, "high", taskq.PriorityHigh.String())
}

func TestStatusText(t *testing.T) {
	t.Parallel()
	for i, s := range taskq.Statuses() {
		got, err := taskq.ParseTaskStatus(s.String())
		require.NoError(t, err)
		require.Equal(t, s, got)
		got, err = taskq.ParseTaskStatus(fmt.Sprint(i))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	var s taskq.TaskStatus
	require.NoError(t, json.Unmarshal([]byte(`"DEAD_LETTER"`), &s))
	require.Equal(t, taskq.StatusDeadLetter, s)
	require.Error(t, json.Unmarshal([]byte(`"done"`), &s))
	require.True(t, taskq.StatusCompleted.Terminal())
	require.True(t, taskq.StatusCancelled.Terminal())
	require.True(t, taskq.StatusDeadLetter.Terminal())
	require.False(t, taskq.StatusFailed.Terminal())
	_, err := taskq.StatusFailed.MarshalText()
	require.NoError(t, err)
	_, err = taskq.TaskStatus("bogus").MarshalText()
	require.Error(t, err)
}

func TestTaskJSONRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tk := taskq.Task{ID: taskq.NewID(), Type: "email.send", Status: taskq.StatusFailed, Priority: taskq.PriorityHigh,
		Created: now, Updated: now, RunAt: now, Deadline: new(now.Add(time.Hour)), RetryCount: 1, MaxRetries: 3,
		Error:    &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "smtp", Retryable: true},
		Result:   json.RawMessage(`{"ok":true}`),
		Metadata: map[string]any{"to": "a@example.com"}, Queue: "default", Timeout: 1500 * time.Millisecond}
	b, err := json.Marshal(tk)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"id", "type", "status", "priority", "description", "created", "updated", "completed_at",
		"deadline", "retry_count", "max_retries", "error", "result", "metadata", "run_at", "queue", "timeout_ms"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, 2, m["priority"])
	require.EqualValues(t, 1500, m["timeout_ms"])
	require.Nil(t, m["completed_at"])
	var back taskq.Task
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, tk.Timeout, back.Timeout)
	require.Equal(t, tk.ID, back.ID)
	require.True(t, tk.Deadline.Equal(*back.Deadline))
}

func TestNewIDIsTimeOrdered(t *testing.T) {
	t.Parallel()
	prev := taskq.NewID()
	for range 10000 {
		id := taskq.NewID()
		require.Greater(t, id, prev)
		prev = id
	}
	u, err := uuid.Parse(prev)
	require.NoError(t, err)
	require.EqualValues(t, 7, u.Version())
	require.Equal(t, uuid.RFC4122, u.Variant())
	ms := time.UnixMilli(int64(u[0])<<40 | int64(u[1])<<32 | int64(u[2])<<24 | int64(u[3])<<16 | int64(u[4])<<8 | int64(u[5]))
	require.WithinDuration(t, time.Now(), ms, time.Second)
}

func TestValidateTask(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ok := func() *taskq.Task {
		return &taskq.Task{Type: "email.send", Queue: "default", Priority: taskq.PriorityMedium, MaxRetries: 3}
	}
	require.NoError(t, taskq.ValidateTask(ok(), now))
	bad := ok()
	bad.Priority = 7
	bad.MaxRetries = 101
	bad.Description = "a\x00b"
	bad.Deadline = new(now.Add(-time.Second))
	err := taskq.ValidateTask(bad, now)
	require.ErrorIs(t, err, taskq.ErrValidation)
	var te *taskq.Error
	require.ErrorAs(t, err, &te)
	fields := map[string]bool{}
	for _, d := range te.Details {
		fields[d.Field] = true
	}
	require.Equal(t, map[string]bool{"priority": true, "max_retries": true, "description": true, "deadline": true}, fields)
	long := ok()
	long.Description = string(make([]rune, 1001))
	require.Error(t, taskq.ValidateTask(long, now))
	nl := ok()
	nl.Description = "line\nnext\ttab"
	require.NoError(t, taskq.ValidateTask(nl, now))
	big := ok()
	big.Metadata = map[string]any{"x": string(make([]byte, 70<<10))}
	require.Error(t, taskq.ValidateTask(big, now))
	// Exponents up to ±1000 are written out; larger ones are refused,
	// however deep, as no storage would read them back alike.
	num := ok()
	num.Metadata = map[string]any{"a": json.Number("1e1000"), "b": json.Number("-2.5E-1000"), "c": json.Number("12")}
	require.NoError(t, taskq.ValidateTask(num, now))
	for _, n := range []string{"1e1001", "1e999999", "-3E-1001"} {
		num.Metadata = map[string]any{"deep": []any{map[string]any{"n": json.Number(n)}}}
		err := taskq.ValidateTask(num, now)
		require.ErrorIs(t, err, taskq.ErrValidation, n)
		require.ErrorContains(t, err, "exponents between -1000 and 1000", n)
	}
}

func TestDLQConfigDefaults(t *testing.T) {
	t.Parallel()
	c := taskq.DeadLetterQueueConfig{}.WithDefaults()
	require.Equal(t, 10000, c.MaxSize)
	require.Equal(t, 7*24*time.Hour, c.RetentionPeriod)
	require.Equal(t, 3, c.RetryLimit)
	require.Equal(t, time.Second, c.Backoff)
	require.Equal(t, time.Second, c.RetryBackoff(1))
	require.Equal(t, 4*time.Second, c.RetryBackoff(3))
	require.Equal(t, 24*time.Hour, c.RetryBackoff(100))
}
