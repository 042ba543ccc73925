package taskq

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// TaskCount is the number of stored tasks of one queue, type and status.
type TaskCount struct {
	Queue  string
	Type   string
	Status TaskStatus
	Count  int64
}

// TaskCounts is what a [StatusCounter] reports.
type TaskCounts struct {
	// Counts holds one entry per (queue, type, status) that has tasks,
	// sorted by queue, type and status (in the order of [Statuses]).
	Counts []TaskCount
	// OldestPending maps each queue that has due pending tasks (status
	// pending, RunAt not after the time asked about) to the earliest RunAt
	// among them: how long the head of the queue has been waiting. Tasks
	// scheduled for later and failed tasks waiting for their retry are
	// left out.
	OldestPending map[string]time.Time
}

// StatusCounter is an optional StorageAdapter capability: the number of
// stored tasks grouped by queue, type and status, and the oldest due
// pending task of each queue. Every storage of this module implements it
// without reading every record where the backend allows: the memory
// storage and Redis keep counters updated with each change, PostgreSQL
// answers with one grouped query (see each storage's documentation for
// its cost).
type StatusCounter interface {
	// CountTasks returns the counts, and the oldest pending task of each
	// queue that is due at now.
	CountTasks(ctx context.Context, now time.Time) (TaskCounts, error)
}

// Sort sorts c.Counts by queue, type and status, as CountTasks returns
// them.
func (c *TaskCounts) Sort() {
	slices.SortFunc(c.Counts, func(a, b TaskCount) int {
		if n := strings.Compare(a.Queue, b.Queue); n != 0 {
			return n
		}
		if n := strings.Compare(a.Type, b.Type); n != 0 {
			return n
		}
		return statusIndex(a.Status) - statusIndex(b.Status)
	})
}

func statusIndex(s TaskStatus) int {
	return slices.Index(statuses[:], s)
}

// QueueTaskStats is what [Client.QueueStats] reports for one queue.
type QueueTaskStats struct {
	// Queue is the queue name.
	Queue string
	// Counts has every status, zero included.
	Counts map[TaskStatus]int64
	// Types has the counts of each task type of the queue (every status,
	// zero included).
	Types map[string]map[TaskStatus]int64
	// OldestPending is the RunAt of the queue's longest waiting due
	// pending task, nil when it has none (see [TaskCounts]).
	OldestPending *time.Time
	// OldestPendingAge is how long that task has been due (zero when
	// there is none).
	OldestPendingAge time.Duration
}

// ErrNoCounts answers [Client.QueueStats] on a storage that is no
// [StatusCounter]; it matches errors.ErrUnsupported.
var ErrNoCounts error = &Error{Code: CodeValidation, Message: "this storage cannot count tasks by status", Err: errors.ErrUnsupported}

// QueueStats counts the stored tasks of every queue that has any, by
// status and by type, sorted by queue name (see [StatusCounter]). It
// fails with [ErrNoCounts] when the storage cannot count.
func (c *Client) QueueStats(ctx context.Context) ([]QueueTaskStats, error) {
	sc, ok := c.store.(StatusCounter)
	if !ok {
		return nil, ErrNoCounts
	}
	now := c.cfg.Now()
	tc, err := sc.CountTasks(ctx, now)
	if err != nil {
		return nil, err
	}
	return groupCounts(tc, now), nil
}

// groupCounts groups counts by queue as [Client.QueueStats] returns them;
// now gives the oldest pending task's age.
func groupCounts(tc TaskCounts, now time.Time) []QueueTaskStats {
	byQueue := map[string]*QueueTaskStats{}
	var names []string
	get := func(q string) *QueueTaskStats {
		s := byQueue[q]
		if s == nil {
			s = &QueueTaskStats{Queue: q, Counts: zeroCounts(), Types: map[string]map[TaskStatus]int64{}}
			byQueue[q] = s
			names = append(names, q)
		}
		return s
	}
	for _, n := range tc.Counts {
		s := get(n.Queue)
		s.Counts[n.Status] += n.Count
		ty := s.Types[n.Type]
		if ty == nil {
			ty = zeroCounts()
			s.Types[n.Type] = ty
		}
		ty[n.Status] += n.Count
	}
	for q, at := range tc.OldestPending {
		s := get(q)
		at := at
		s.OldestPending = &at
		s.OldestPendingAge = max(now.Sub(at), 0)
	}
	slices.Sort(names)
	out := make([]QueueTaskStats, 0, len(names))
	for _, q := range names {
		out = append(out, *byQueue[q])
	}
	return out
}

func zeroCounts() map[TaskStatus]int64 {
	m := make(map[TaskStatus]int64, len(statuses))
	for _, s := range statuses {
		m[s] = 0
	}
	return m
}
