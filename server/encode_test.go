package server

import (
	"encoding/json"
	"reflect"
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

// TestCheckStorableMatchesEncoding sets every time field of taskq.Task
// (and of its progress), one at a time, to a year JSON cannot hold:
// checkStorable refuses exactly when json.Marshal fails, so a time field
// added to Task without a check here fails this test.
func TestCheckStorableMatchesEncoding(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	base := func() *taskq.Task {
		return &taskq.Task{ID: "x", Type: "noop", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now,
			Progress: &taskq.Progress{Percent: 1, Updated: now}}
	}
	_, err := json.Marshal(base())
	require.NoError(t, err)
	require.NoError(t, checkStorable(base()))

	timeType := reflect.TypeFor[time.Time]()
	fields := 0
	var try func(set func(tk *taskq.Task) reflect.Value, typ reflect.Type, path string)
	try = func(set func(tk *taskq.Task) reflect.Value, typ reflect.Type, path string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			get := func(tk *taskq.Task) reflect.Value { return set(tk).Field(i) }
			ft := f.Type
			switch {
			case ft == timeType || ft.Kind() == reflect.Pointer && ft.Elem() == timeType:
				fields++
				tk := base()
				v := get(tk)
				if ft == timeType {
					v.Set(reflect.ValueOf(far))
				} else {
					v.Set(reflect.ValueOf(&far))
				}
				_, merr := json.Marshal(tk)
				require.Error(t, merr, "%s.%s", path, f.Name)
				require.Error(t, checkStorable(tk), "%s.%s: checkStorable must refuse what json.Marshal cannot encode", path, f.Name)
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct && ft.Elem().PkgPath() == "github.com/taskq/taskq":
				try(func(tk *taskq.Task) reflect.Value { return get(tk).Elem() }, ft.Elem(), path+"."+f.Name)
			}
		}
	}
	try(func(tk *taskq.Task) reflect.Value { return reflect.ValueOf(tk).Elem() }, reflect.TypeFor[taskq.Task](), "Task")
	require.GreaterOrEqual(t, fields, 8, "the time fields of Task and Progress")
}
