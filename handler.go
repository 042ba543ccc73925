package taskq

import (
	"context"
)

// Handler runs tasks of one type. It returns a result, encoded as JSON and
// stored on the task, or an error: a retryable error schedules a retry with
// backoff while retries remain; a permanent one (see Permanent) sends the
// task to the dead letter queue. The context ends when the attempt times
// out, the deadline passes, the task is cancelled or the worker stops;
// context.Cause tells which.
type Handler interface {
	ProcessTask(ctx context.Context, t *Task) (result any, err error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, t *Task) (any, error)

// ProcessTask calls f.
func (f HandlerFunc) ProcessTask(ctx context.Context, t *Task) (any, error) { return f(ctx, t) }

// CleanupResult reports a DLQ cleanup.
type CleanupResult struct {
	// Cleaned is how many entries were purged.
	Cleaned int `json:"cleaned"`
	// Remaining is the DLQ size afterwards.
	Remaining int `json:"remaining"`
}
