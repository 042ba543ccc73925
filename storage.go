package taskq

import (
	"context"
	"time"
)

// TaskFilter selects tasks for ListTasks. Zero fields match everything.
type TaskFilter struct {
	// Statuses keeps tasks in any of these statuses.
	Statuses []TaskStatus
	// Type keeps tasks of this type.
	Type string
	// Priority keeps tasks of this priority.
	Priority *TaskPriority
	// Owner keeps tasks of this owner.
	Owner string
	// Queue keeps tasks of this queue.
	Queue string
	// UpdatedBefore keeps tasks last updated before this time.
	UpdatedBefore time.Time
	// Limit is the page size; 0 means 50, and it is capped at 1000.
	Limit int
	// Cursor continues after the last task of a previous page.
	Cursor string
}

// DeadLetterFilter selects dead letter entries, oldest entry first.
type DeadLetterFilter struct {
	// Type keeps tasks of this type.
	Type string
	// Limit is the page size; 0 means 50, and it is capped at 1000.
	Limit int
	// Cursor continues after the last entry of a previous page.
	Cursor string
}

// TaskPage is one page of a listing.
type TaskPage struct {
	// Tasks of this page.
	Tasks []*Task
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
}

// Page size bounds of listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageLimit normalizes a requested page size.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// StorageAdapter is the durable truth for task records. Implementations are
// safe for concurrent use; returned tasks are copies the caller may modify.
// Missing records give an error matching ErrNotFound; failed preconditions
// one matching ErrConflict; an unreachable backend one matching
// ErrUnavailable. Driver errors never leak through.
type StorageAdapter interface {
	// CreateTask stores a new record. When t.IdempotencyKey is set and a
	// task with the same (Owner, IdempotencyKey) exists, or the id exists,
	// it stores nothing and returns the existing task with an error
	// matching ErrDuplicate (code conflict).
	CreateTask(ctx context.Context, t *Task) (*Task, error)
	// CreateTasks stores many new records in one step, all or nothing: a
	// duplicate id or idempotency key fails the whole batch with an error
	// matching ErrDuplicate.
	CreateTasks(ctx context.Context, ts []*Task) error
	// GetTask returns the record, or ErrNotFound.
	GetTask(ctx context.Context, id string) (*Task, error)
	// UpdateTask overwrites the mutable fields of the record t.ID (status,
	// priority, run_at, started_at, completed_at, retry_count, attempts,
	// error, result, dlq_retry_count, dead_lettered_at, updated) if its
	// current status is one of expect (any status when expect is empty).
	// It returns ErrNotFound for a missing record and ErrConflict when the
	// precondition fails, so a late worker cannot move a task backwards.
	UpdateTask(ctx context.Context, t *Task, expect ...TaskStatus) error
	// StartTasks marks the startable records among ids (status pending,
	// failed or running) as running at now, increments their attempts, and
	// returns them. Missing and terminal records are left out.
	StartTasks(ctx context.Context, ids []string, now time.Time) ([]*Task, error)
	// ListTasks lists tasks newest first with keyset pagination: a listing
	// continued by cursor never repeats or skips a task that existed when it
	// began, whatever is inserted meanwhile.
	ListTasks(ctx context.Context, f TaskFilter) (TaskPage, error)
	// DeleteTask removes a record for good.
	DeleteTask(ctx context.Context, id string) error

	// GetDeadLetterTasks lists dead letter entries, oldest entry first.
	GetDeadLetterTasks(ctx context.Context, f DeadLetterFilter) (TaskPage, error)
	// GetDeadLetterTask returns a task in the DLQ, or ErrNotFound when the
	// task is missing or not in the DLQ.
	GetDeadLetterTask(ctx context.Context, id string) (*Task, error)
	// MoveTaskToDeadLetter stores t (with its error) as dead_letter, entered
	// at t.DeadLetteredAt (now when nil), unless the record is already
	// terminal (ErrConflict). When maxSize > 0 and the DLQ would exceed it,
	// the oldest entries are purged in the same step; their number is
	// returned.
	MoveTaskToDeadLetter(ctx context.Context, t *Task, maxSize int) (evicted int, err error)
	// RemoveFromDeadLetter purges a DLQ entry, or returns ErrNotFound.
	RemoveFromDeadLetter(ctx context.Context, id string) error
	// CleanupDeadLetterTasks purges entries that entered the DLQ before
	// threshold and returns how many.
	CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (int, error)
	// CountDeadLetterTasks returns the DLQ size.
	CountDeadLetterTasks(ctx context.Context) (int, error)

	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// Close releases resources.
	Close() error
}
