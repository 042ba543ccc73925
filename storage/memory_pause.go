package storage

import (
	"context"
	"slices"
)

// PauseQueue pauses queue (taskq.QueuePauser).
func (m *Memory) PauseQueue(ctx context.Context, queue string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if queue == "" {
		return invalid("storage: empty queue name")
	}
	m.pauseMu.Lock()
	defer m.pauseMu.Unlock()
	if m.paused == nil {
		m.paused = map[string]bool{}
	}
	m.paused[queue] = true
	return nil
}

// ResumeQueue resumes queue (taskq.QueuePauser).
func (m *Memory) ResumeQueue(ctx context.Context, queue string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.pauseMu.Lock()
	defer m.pauseMu.Unlock()
	delete(m.paused, queue)
	return nil
}

// PausedQueues lists the paused queues, sorted (taskq.QueuePauser).
func (m *Memory) PausedQueues(ctx context.Context) ([]string, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.pauseMu.Lock()
	defer m.pauseMu.Unlock()
	out := make([]string, 0, len(m.paused))
	for q := range m.paused {
		out = append(out, q)
	}
	slices.Sort(out)
	return out, nil
}
