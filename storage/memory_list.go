package storage

import (
	"context"
	"encoding/base64"
	"slices"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// Task cursors are the last id of a page, base64url encoded.

func encodeTaskCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeTaskCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return "", invalid("storage: malformed cursor")
	}
	return string(b), nil
}

// ListTasks lists copies of the matching tasks newest first (by id, which
// is time-ordered). The cursor is the last id of the previous page, so a
// continued listing neither repeats nor skips a task that existed when it
// began. A malformed cursor gives an error matching taskq.ErrInvalidInput.
func (m *Memory) ListTasks(ctx context.Context, f taskq.TaskFilter) (taskq.TaskPage, error) {
	if err := m.check(ctx); err != nil {
		return taskq.TaskPage{}, err
	}
	var after string
	if f.Cursor != "" {
		var err error
		if after, err = decodeTaskCursor(f.Cursor); err != nil {
			return taskq.TaskPage{}, err
		}
	}
	limit := names.PageLimit(f.Limit)
	m.mu.RLock()
	defer m.mu.RUnlock()
	end := len(m.order)
	if after != "" {
		end, _ = slices.BinarySearch(m.order, after) // order[:end] < after
	}
	page := taskq.TaskPage{Tasks: make([]*taskq.Task, 0, min(limit, end))}
	for i := end - 1; i >= 0; i-- {
		t, ok := m.tasks[m.order[i]]
		if !ok || !matches(t, &f) {
			continue
		}
		if len(page.Tasks) == limit {
			page.NextCursor = encodeTaskCursor(page.Tasks[limit-1].ID)
			break
		}
		page.Tasks = append(page.Tasks, t.Clone())
	}
	return page, nil
}

func matches(t *taskq.Task, f *taskq.TaskFilter) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status),
		f.Type != "" && t.Type != f.Type,
		f.Priority != nil && t.Priority != *f.Priority,
		f.Owner != "" && t.Owner != f.Owner,
		f.Queue != "" && t.Queue != f.Queue,
		!f.UpdatedBefore.IsZero() && !t.Updated.Before(f.UpdatedBefore):
		return false
	}
	return true
}
