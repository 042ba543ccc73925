package taskq

import (
	"context"
	"time"
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

// Worker runs handlers for leased tasks.
type Worker interface {
	// Handle registers the handler of a task type.
	Handle(taskType string, h Handler)
	// Start begins leasing and returns once running.
	Start(ctx context.Context) error
	// Stop stops leasing, waits for running handlers and, if ctx ends
	// first, cancels them and gives their tasks back; nothing is lost.
	Stop(ctx context.Context) error
	// Stopped is closed once the worker has stopped.
	Stopped() <-chan struct{}
}

// CleanupResult reports a DLQ cleanup.
type CleanupResult struct {
	// Cleaned is how many entries were purged.
	Cleaned int `json:"cleaned"`
	// Remaining is the DLQ size afterwards.
	Remaining int `json:"remaining"`
}

// DeadLetterQueue holds tasks that failed for good.
type DeadLetterQueue interface {
	// Move puts a task in the DLQ with its final error, evicting the
	// oldest entries beyond the size cap.
	Move(ctx context.Context, t *Task, cause error) error
	// List lists entries, oldest first.
	List(ctx context.Context, f DeadLetterFilter) (TaskPage, error)
	// Get returns an entry, or ErrNotFound.
	Get(ctx context.Context, id string) (*Task, error)
	// Retry sends an entry back to pending with retry_count 0 after the DLQ
	// backoff; past the retry limit it fails with ErrConflict.
	Retry(ctx context.Context, id string) (*Task, error)
	// Remove purges an entry, or returns ErrNotFound.
	Remove(ctx context.Context, id string) error
	// Cleanup purges entries older than olderThan.
	Cleanup(ctx context.Context, olderThan time.Time) (CleanupResult, error)
	// Size returns the number of entries.
	Size(ctx context.Context) (int, error)
}
