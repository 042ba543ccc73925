package taskqtest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/taskq/taskq"
)

// RunOption sets a field of the task record Run builds.
type RunOption func(*taskq.Task)

// Attempt makes the handler see attempt n (1-based): Attempts n and
// RetryCount n-1, as on the n-th run of a failing task.
func Attempt(n int) RunOption {
	return func(t *taskq.Task) {
		t.Attempts = n
		t.RetryCount = max(n-1, 0)
		t.MaxRetries = max(t.MaxRetries, t.RetryCount)
	}
}

// Run calls fn, a handler for worker.HandleArgs, with args the way a
// worker would on a first attempt, without a queue: the args go through
// their JSON form into the task's metadata and are decoded back into the
// Job, so a field that does not survive encoding shows up here. The
// context is the test's (testing.TB.Context) when t has one. Run fails
// the test when args do not round-trip, and reports an error when the
// result could not be stored (it is not JSON). A panic is not recovered.
func Run[T taskq.Args](t TB, fn func(ctx context.Context, job *taskq.Job[T]) (any, error), args T, opts ...RunOption) (any, error) {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatalf("taskqtest: args %T do not encode as JSON: %v", args, err)
	}
	md, err := taskq.DecodeMetadata(b)
	if err != nil {
		t.Fatalf("taskqtest: args %T must encode as a JSON object: %v", args, err)
	}
	now := time.Now().UTC()
	task := &taskq.Task{
		ID:         taskq.NewID(),
		Type:       args.Kind(),
		Status:     taskq.StatusRunning,
		Priority:   taskq.PriorityMedium,
		Created:    now,
		Updated:    now,
		StartedAt:  &now,
		MaxRetries: taskq.DefaultMaxRetries,
		Metadata:   md,
		Queue:      taskq.DefaultQueue,
		RunAt:      now,
		Attempts:   1,
	}
	for _, o := range opts {
		o(task)
	}
	decoded, err := taskq.DecodeArgs[T](task)
	if err != nil {
		t.Fatalf("taskqtest: %v", err)
	}
	ctx := context.Background()
	if c, ok := t.(interface{ Context() context.Context }); ok {
		ctx = c.Context()
	}
	res, err := fn(ctx, &taskq.Job[T]{Task: task, Args: decoded})
	if err == nil {
		checkResult(t, res)
	}
	return res, err
}

// checkResult reports a result the worker could not store.
func checkResult(t TB, res any) {
	t.Helper()
	var ok bool
	switch v := res.(type) {
	case nil:
		ok = true
	case json.RawMessage:
		ok = json.Valid(v)
	case []byte:
		ok = json.Valid(v)
	default:
		_, err := json.Marshal(v)
		ok = err == nil
	}
	if !ok {
		t.Errorf("taskqtest: the handler's result %T is not JSON: a worker would fail the task", res)
	}
}
