package taskq

import (
	"encoding/json"
	"testing"
	"time"
)

// reflectTaskJSON is the task's JSON as encoding/json writes taskWire.
func reflectTaskJSON(t *Task) ([]byte, error) {
	return json.Marshal(taskWire{taskJSON: taskJSON(*t), TimeoutMS: t.Timeout.Milliseconds()})
}

func requireSameTaskJSON(t *testing.T, task *Task) {
	t.Helper()
	got, gotErr := task.MarshalJSON()
	want, wantErr := reflectTaskJSON(task)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json's %v", gotErr, wantErr)
	}
	if string(got) != string(want) {
		t.Fatalf("MarshalJSON\n got %s\nwant %s", got, want)
	}
}

// TestTaskJSONMatchesReflection: the hand-written encoding of a task is
// byte for byte encoding/json's, for tasks with every optional field set
// and unset, strings that need escaping and metadata of every shape.
func TestTaskJSONMatchesReflection(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 17, 30, 0, 123456789, time.UTC)
	later := now.Add(time.Hour).In(time.FixedZone("x", 3600))
	full := &Task{ID: "01a2", Type: "email.send", Status: StatusCompleted, Priority: PriorityCritical,
		Description: `say "hi" <b>&</b> é \u2028 ` + "\u2028\x00\x7f\xff", Created: now, Updated: later,
		CompletedAt: &now, Deadline: &later, RetryCount: 2, MaxRetries: 5,
		Error:  &TaskError{Code: CodeInternal, Message: "boom <x>", Retryable: true},
		Result: json.RawMessage(` {"a": [1, 2], "h": "<&>"} `),
		Metadata: map[string]any{"s": "x", "n": json.Number("12.50"), "t": true, "f": false, "z": nil,
			"<k>": "v", "é": "ü", "": ""},
		Queue: "q", RunAt: now, StartedAt: &now, Timeout: 1500 * time.Millisecond, Attempts: 3, DLQRetryCount: 1,
		DeadLetteredAt: &later, Owner: "owner&", IdempotencyKey: "key",
		Progress:  &Progress{Percent: 40, Message: "m", Attempt: 3, Updated: now},
		UniqueKey: "hidden", TraceContext: map[string]string{"traceparent": "x"}}
	requireSameTaskJSON(t, full)
	requireSameTaskJSON(t, &Task{})
	requireSameTaskJSON(t, &Task{Status: StatusPending})
	requireSameTaskJSON(t, &Task{Status: StatusPending, Metadata: map[string]any{}})
	for _, md := range []map[string]any{
		{"nested": map[string]any{"a": 1}}, {"list": []any{"a", json.Number("1")}}, {"neg0": json.Number("-0")},
		{"exp": json.Number("1e5")}, {"empty": json.Number("")}, {"f": 1.5}, {"i": 7},
	} {
		requireSameTaskJSON(t, &Task{ID: "x", Status: StatusRunning, Created: now, Metadata: md})
	}
	requireSameTaskJSON(t, &Task{Status: StatusFailed, Timeout: 999 * time.Microsecond})
	for _, bad := range []*Task{
		{Status: StatusPending, Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Status: StatusPending, Metadata: map[string]any{"c": make(chan int)}},
		{Status: "bogus"},
		{Status: StatusPending, Result: json.RawMessage(`{`)},
	} {
		if _, err := bad.MarshalJSON(); err == nil {
			t.Fatalf("%+v encoded", bad)
		}
		requireSameTaskJSON(t, bad)
	}
}

// FuzzTaskJSONMatchesReflection compares the two encodings for arbitrary
// strings in every string field, metadata key and value.
func FuzzTaskJSONMatchesReflection(f *testing.F) {
	f.Add("id", "type", "desc <&>", "k", "v", "12", int64(1500), int64(1_700_000_000_123))
	f.Add("\xff", "\u2028", "\x00", "", "\"", "-0", int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, id, typ, desc, key, val, num string, timeoutMS, unixMS int64) {
		at := time.UnixMilli(unixMS % (200 * 365 * 24 * 3600 * 1000)).UTC()
		status := StatusPending
		if len(val)%2 == 1 {
			status = TaskStatus(val) // mostly unknown: an error both ways
		}
		task := &Task{ID: id, Type: typ, Status: status, Description: desc, Created: at, Updated: at,
			Queue: key, RunAt: at, Owner: desc, IdempotencyKey: key, Timeout: time.Duration(timeoutMS) * time.Millisecond,
			Metadata: map[string]any{key: val, key + "n": json.Number(num), "b": true, "z": nil}}
		requireSameTaskJSON(t, task)
	})
}

// BenchmarkTaskMarshalJSON encodes a created task with the load
// generator's metadata, by hand (MarshalJSON) and by reflection.
func BenchmarkTaskMarshalJSON(b *testing.B) {
	md, err := DecodeMetadata([]byte(`{"user_id":12345678,"email":"someone@example.com","action":"welcome","locale":"en-US","n":1}`))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	task := &Task{ID: NewID(), Type: "noop", Status: StatusPending, Priority: PriorityMedium, Created: now, Updated: now,
		MaxRetries: 3, Metadata: md, Queue: DefaultQueue, RunAt: now, Owner: "admin"}
	for _, c := range []struct {
		name   string
		encode func(*Task) ([]byte, error)
	}{{"MarshalJSON", func(t *Task) ([]byte, error) { return t.MarshalJSON() }}, {"reflection", reflectTaskJSON}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.encode(task); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
