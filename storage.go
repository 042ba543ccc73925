package taskq

import (
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

// Dispatcher is an optional StorageAdapter capability of storages that
// write a created task's queue entry themselves, in the transaction that
// stores the record (PostgreSQL with its Dispatch setting and the Queue of
// the same store; Redis with the Queue of storage/redisstore's
// Store.Queue). The Client then does not push the entry again: a second
// push could arrive after the task ran and was acknowledged, and queue it
// once more. Such a storage also removes a task's entry in the step that
// stores its terminal status (completed, cancelled, dead letter) or
// deletes it, so a finished task never keeps an entry.
type Dispatcher interface {
	// Dispatches reports whether the storage writes the entries of the
	// tasks it creates into queue.
	Dispatches(queue Queue) bool
}
