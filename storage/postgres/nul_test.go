package postgres

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestReplaceNUL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":"x"}`:                          `{"a":"x"}`,
		`{"a":"x\u0000y"}`:                   `{"a":"x\ufffdy"}`,
		`{"k\u0000":["\u0000","\u00001"]}`:   `{"k\ufffd":["\ufffd","\ufffd1"]}`,
		`{"a":"\\u0000"}`:                    `{"a":"\\u0000"}`, // an escaped backslash, then text
		`{"a":"\\\u0000"}`:                   `{"a":"\\\ufffd"}`,
		`{"a":"\"\u0000"}`:                   `{"a":"\"\ufffd"}`,
		`"\u0000"`:                           `"\ufffd"`,
		`{"a":"\u00000\u0000","b":"\u0001"}`: `{"a":"\ufffd0\ufffd","b":"\u0001"}`,
	} {
		require.True(t, json.Valid([]byte(in)), in)
		require.Equal(t, want, string(replaceNUL([]byte(in))), in)
		require.Equal(t, in != want, hasNUL([]byte(in)), in)
	}
}

// A result or error holding U+0000 (jsonb refuses it) is recorded with
// U+FFFD instead: the outcome is stored, not lost to a failed write.
func TestOutcomeWithNULIsStored(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(2)
	require.NoError(t, s.CreateTasks(ctx, ts))

	done := ts[0].Clone()
	done.Status, done.Attempts = taskq.StatusCompleted, 1
	done.CompletedAt = new(time.Now().UTC())
	res, err := json.Marshal(map[string]any{"body": "a\x00b", "k\x00": []any{"\x00"}, "lit": `\u0000`})
	require.NoError(t, err)
	done.Result = res
	require.NoError(t, s.UpdateTask(ctx, done, taskq.StatusPending))
	got, err := s.GetTask(ctx, done.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, got.Status)
	var m map[string]any
	require.NoError(t, json.Unmarshal(got.Result, &m))
	require.Equal(t, map[string]any{"body": "a\ufffdb", "k\ufffd": []any{"\ufffd"}, "lit": `\u0000`}, m)

	failed := ts[1].Clone()
	failed.Status, failed.Attempts = taskq.StatusDeadLetter, 1
	failed.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "bad\x00byte"}
	require.NoError(t, s.UpdateTask(ctx, failed, taskq.StatusPending))
	got, err = s.GetTask(ctx, failed.ID)
	require.NoError(t, err)
	require.Equal(t, "bad\ufffdbyte", got.Error.Message)

	// Metadata with U+0000 is refused at creation with a clear error.
	bad := newPending(1)[0]
	bad.Metadata = map[string]any{"x": map[string]any{"y": "a\x00"}}
	_, err = s.CreateTask(ctx, bad)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.Contains(t, err.Error(), "U+0000")
}
