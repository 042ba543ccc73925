package storage

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
)

// SetProgress stores p on record id while it runs attempt p.Attempt
// (taskq.ProgressWriter).
func (m *Memory) SetProgress(ctx context.Context, id string, p taskq.Progress) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.tasks[id]
	if !ok {
		return notFound("task", id)
	}
	if cur.Status != taskq.StatusRunning || cur.Attempts != p.Attempt {
		return &taskq.Error{Code: taskq.CodeConflict,
			Message: fmt.Sprintf("storage: task %s is not running attempt %d (status %s, attempt %d)", id, p.Attempt, cur.Status, cur.Attempts)}
	}
	p.Updated = p.Updated.Round(0)
	cur.Progress = &p
	return nil
}
