package taskq_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/taskq/taskq"
)

// FuzzParseTaskPriority: any input either parses to a valid priority that
// round-trips, or fails with an invalid_input/validation error.
func FuzzParseTaskPriority(f *testing.F) {
	for _, s := range []string{"0", "3", "high", "CRITICAL", " medium ", "4", "-1", "", "1e3", "lowest"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := taskq.ParseTaskPriority(s)
		if err != nil {
			if c := taskq.CodeOf(err); c != taskq.CodeInvalidInput && c != taskq.CodeValidation {
				t.Fatalf("ParseTaskPriority(%q): unexpected code %s", s, c)
			}
			return
		}
		if !p.Valid() {
			t.Fatalf("ParseTaskPriority(%q) = %d, not valid", s, p)
		}
		back, err := taskq.ParseTaskPriority(p.String())
		if err != nil || back != p {
			t.Fatalf("round trip of %d: %d, %v", p, back, err)
		}
	})
}

// FuzzParseTaskStatus: parsed statuses are valid and round-trip.
func FuzzParseTaskStatus(f *testing.F) {
	for _, s := range []string{"pending", "DEAD_LETTER", "5", "6", "", "done"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := taskq.ParseTaskStatus(s)
		if err != nil {
			return
		}
		if !st.Valid() {
			t.Fatalf("ParseTaskStatus(%q) = %q, not valid", s, st)
		}
		if back, err := taskq.ParseTaskStatus(st.String()); err != nil || back != st {
			t.Fatalf("round trip of %q: %q, %v", st, back, err)
		}
	})
}

// FuzzTaskJSON: a task that decodes re-encodes to JSON that decodes to the
// same task, and validation never panics.
func FuzzTaskJSON(f *testing.F) {
	f.Add(`{"id":"x","type":"email.send","status":"pending","priority":"high","metadata":{"a":1},"timeout_ms":1500}`)
	f.Add(`{"priority":7}`)
	f.Add(`{"deadline":"2026-01-01T00:00:00Z","run_at":null}`)
	f.Fuzz(func(t *testing.T, in string) {
		var tk taskq.Task
		if err := json.Unmarshal([]byte(in), &tk); err != nil {
			return
		}
		_ = taskq.ValidateTask(&tk, time.Now())
		b, err := json.Marshal(tk)
		if err != nil {
			// Only unknown statuses refuse to encode.
			if tk.Status.Valid() {
				t.Fatalf("marshal: %v", err)
			}
			return
		}
		var back taskq.Task
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if back.ID != tk.ID || back.Type != tk.Type || back.Priority != tk.Priority || back.Timeout != tk.Timeout {
			t.Fatalf("round trip changed the task: %+v vs %+v", tk, back)
		}
	})
}
