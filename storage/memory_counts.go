package storage

import (
	"context"
	"time"

	"github.com/taskq/taskq"
)

// countKey groups records for taskq.StatusCounter.
type countKey struct {
	queue, typ string
	status     taskq.TaskStatus
}

// statusCounts keeps the record counts by queue, type and status, and
// the RunAt of each pending record by queue, updated with every change
// (the caller holds Memory.mu).
type statusCounts struct {
	n       map[countKey]int64
	pending map[string]map[string]time.Time // queue -> id -> RunAt
}

// add counts t in (sign 1) or out (sign -1).
func (c *statusCounts) add(t *taskq.Task, sign int64) {
	if c.n == nil {
		c.n = map[countKey]int64{}
		c.pending = map[string]map[string]time.Time{}
	}
	k := countKey{t.Queue, t.Type, t.Status}
	if c.n[k] += sign; c.n[k] <= 0 {
		delete(c.n, k)
	}
	if t.Status != taskq.StatusPending {
		return
	}
	ids := c.pending[t.Queue]
	if sign > 0 {
		if ids == nil {
			ids = map[string]time.Time{}
			c.pending[t.Queue] = ids
		}
		ids[t.ID] = t.RunAt
		return
	}
	delete(ids, t.ID)
	if len(ids) == 0 {
		delete(c.pending, t.Queue)
	}
}

// CountTasks returns the record counts by queue, type and status
// (taskq.StatusCounter): they are kept with every change, so this reads
// one entry per group, and the pending records of each queue for the
// oldest due one.
func (m *Memory) CountTasks(ctx context.Context, now time.Time) (taskq.TaskCounts, error) {
	if err := m.check(ctx); err != nil {
		return taskq.TaskCounts{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := taskq.TaskCounts{Counts: make([]taskq.TaskCount, 0, len(m.stat.n)), OldestPending: map[string]time.Time{}}
	for k, n := range m.stat.n {
		out.Counts = append(out.Counts, taskq.TaskCount{Queue: k.queue, Type: k.typ, Status: k.status, Count: n})
	}
	out.Sort()
	for q, ids := range m.stat.pending {
		var oldest time.Time
		for _, at := range ids {
			if !at.After(now) && (oldest.IsZero() || at.Before(oldest)) {
				oldest = at
			}
		}
		if !oldest.IsZero() {
			out.OldestPending[q] = oldest
		}
	}
	return out, nil
}
