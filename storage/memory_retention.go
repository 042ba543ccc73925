package storage

import (
	"time"

	"github.com/taskq/taskq"
)

// WithRetention makes the store purge completed and cancelled records once
// they have been finished for longer than d, so that a long-running
// embedded engine does not grow without bound. Dead letter entries are not
// affected: the DLQ has its own size cap and retention. Purging is
// amortized over writes (no goroutine). The default, 0, keeps every record.
func WithRetention(d time.Duration) MemoryOption {
	return func(m *Memory) {
		if d > 0 {
			m.retention = d
		}
	}
}

// finished is a record that reached completed or cancelled at a time.
type finished struct {
	id string
	at time.Time
}

// noteFinishedLocked remembers a record that just became completed or
// cancelled, for the retention purge. The caller holds mu.
func (m *Memory) noteFinishedLocked(t *taskq.Task) {
	if m.retention <= 0 || t.CompletedAt == nil {
		return
	}
	if t.Status != taskq.StatusCompleted && t.Status != taskq.StatusCancelled {
		return
	}
	m.finished = append(m.finished, finished{id: t.ID, at: *t.CompletedAt})
}

// purgeExpiredLocked drops up to a few records finished before now minus
// the retention, oldest first; called on every write, it keeps up with any
// rate of completions. The caller holds mu.
func (m *Memory) purgeExpiredLocked() {
	if m.retention <= 0 || len(m.finished) == 0 {
		return
	}
	cutoff := m.clock().Add(-m.retention)
	n := 0
	for n < len(m.finished) && n < 8 && m.finished[n].at.Before(cutoff) {
		f := m.finished[n]
		n++
		cur, ok := m.tasks[f.id]
		// Skip records changed since (a retried or re-finished record was
		// noted again) or already gone.
		if !ok || cur.CompletedAt == nil || !cur.CompletedAt.Equal(f.at) ||
			(cur.Status != taskq.StatusCompleted && cur.Status != taskq.StatusCancelled) {
			continue
		}
		m.purgeLocked(cur)
	}
	if n == 0 {
		return
	}
	clear(m.finished[:n])
	m.finished = m.finished[n:]
	if cap(m.finished) > 1024 && len(m.finished) < cap(m.finished)/4 {
		m.finished = append([]finished(nil), m.finished...)
	}
}
