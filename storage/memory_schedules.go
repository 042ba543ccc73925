package storage

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/schedrec"
)

var _ taskq.ScheduleStore = (*Memory)(nil)

// CreateSchedule stores a schedule definition (taskq.ScheduleStore).
func (m *Memory) CreateSchedule(ctx context.Context, s taskq.StoredSchedule) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	s, _, err := schedrec.Normalize("storage: ", s, time.Now())
	if err != nil {
		return err
	}
	m.schedMu.Lock()
	defer m.schedMu.Unlock()
	if _, ok := m.scheds[s.Name]; ok {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "storage: schedule " + s.Name + " exists"}
	}
	if m.scheds == nil {
		m.scheds = map[string]taskq.StoredSchedule{}
	}
	m.scheds[s.Name] = s
	return nil
}

// DeleteSchedule removes a schedule definition (taskq.ScheduleStore).
func (m *Memory) DeleteSchedule(ctx context.Context, name string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.schedMu.Lock()
	defer m.schedMu.Unlock()
	if _, ok := m.scheds[name]; !ok {
		return notFound("schedule", name)
	}
	delete(m.scheds, name)
	return nil
}

// ListSchedules returns the schedule definitions sorted by name
// (taskq.ScheduleStore).
func (m *Memory) ListSchedules(ctx context.Context) ([]taskq.StoredSchedule, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.schedMu.Lock()
	defer m.schedMu.Unlock()
	out := make([]taskq.StoredSchedule, 0, len(m.scheds))
	for _, s := range m.scheds {
		// Copy the metadata so that callers share nothing with the store.
		s.Metadata, _, _ = normalizedCopy(s.Metadata)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b taskq.StoredSchedule) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// normalizedCopy copies metadata through JSON; nil stays nil.
func normalizedCopy(md map[string]any) (map[string]any, []byte, error) {
	if md == nil {
		return nil, nil, nil
	}
	return taskq.NormalizeMetadata(md)
}
