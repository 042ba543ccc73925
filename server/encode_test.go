package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestEncodeBodyMatchesMarshal: the task fast path of writeJSON encodes
// exactly as json.Marshal does, HTML escaping included.
func TestEncodeBodyMatchesMarshal(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	tk := &taskq.Task{ID: "0190a0b0-0000-7000-8000-000000000001", Type: "noop", Status: taskq.StatusPending,
		Metadata:    map[string]any{"z": json.Number("1.50"), "a": []any{"<b>&", nil, true}, "m": map[string]any{"k": "\u2028"}},
		Description: "<script>", Created: now, Updated: now, RunAt: now, Deadline: &now, Timeout: 1500 * time.Millisecond,
		Error: &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "x"}, Result: json.RawMessage(`{"r":"<"}`)}
	want, err := json.Marshal(tk)
	require.NoError(t, err)
	got, err := encodeBody(tk)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	bad := &taskq.Task{ID: "x", Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err = encodeBody(bad)
	require.Error(t, err, "a time past year 9999 cannot be encoded")
}

// TestCheckStorable: a task built by Client.NewTask passes; one with a
// time no JSON encoding can hold is refused (422), as is the encoding of
// the whole task.
func TestCheckStorable(t *testing.T) {
	c, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	tk, err := c.NewTask("noop", map[string]any{"a": []any{1.5, "x", map[string]any{"b": nil}}})
	require.NoError(t, err)
	require.NoError(t, checkStorable(tk))
	bad := *tk
	bad.RunAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = json.Marshal(&bad)
	require.Error(t, err)
	err = checkStorable(&bad)
	require.Error(t, err)
	require.Equal(t, 422, errStatus(err))
}
