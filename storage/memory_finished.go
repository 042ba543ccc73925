package storage

import (
	"context"
	"slices"
	"time"

	"github.com/taskq/taskq"
)

var _ taskq.FinishedDeleter = (*Memory)(nil)

// DeleteFinished implements taskq.FinishedDeleter: it deletes up to limit
// completed or cancelled records finished before before, oldest first.
// It examines every record (the store keeps no index by completion time),
// which is fine for the sizes an in-memory store holds.
func (m *Memory) DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var old []*taskq.Task
	for _, t := range m.tasks {
		if (t.Status == taskq.StatusCompleted || t.Status == taskq.StatusCancelled) &&
			t.CompletedAt != nil && t.CompletedAt.Before(before) {
			old = append(old, t)
		}
	}
	slices.SortFunc(old, func(a, b *taskq.Task) int { return a.CompletedAt.Compare(*b.CompletedAt) })
	old = old[:min(len(old), limit)]
	for _, t := range old {
		m.purgeLocked(t)
	}
	return len(old), nil
}
