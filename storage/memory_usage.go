package storage

import (
	"context"
	"strconv"

	"github.com/taskq/taskq"
)

// recordOverhead is the fixed part of a record's estimated size: the Task
// struct, its map entry and index entries.
const recordOverhead = 512

// recordBytes estimates the memory a record holds.
func recordBytes(t *taskq.Task, meta int64) int64 {
	n := int64(recordOverhead+len(t.ID)+len(t.Type)+len(t.Description)+len(t.Queue)+
		len(t.Owner)+len(t.IdempotencyKey)+len(t.Result)) + meta
	if t.Error != nil {
		n += int64(len(t.Error.Code) + len(t.Error.Message))
	}
	return n
}

// countLocked adds (sign 1) or removes (sign -1) t from the owner usage
// counters and the size estimate.
func (m *Memory) countLocked(t *taskq.Task, sign int64) {
	meta := m.metaBytes[t.ID]
	m.bytes += sign * recordBytes(t, meta)
	m.stat.add(t, sign)
	u := m.usage[t.Owner]
	if u == nil {
		u = &taskq.Usage{}
		m.usage[t.Owner] = u
	}
	if !t.Status.Terminal() {
		u.Pending += sign
	}
	if t.Status == taskq.StatusDeadLetter {
		u.DeadLetter += sign
	}
	u.MetadataBytes += sign * meta
	if *u == (taskq.Usage{}) {
		delete(m.usage, t.Owner)
	}
}

// Usage returns the counters of owner (taskq.OwnerUsage): kept up to
// date on every change, so this is one map lookup.
func (m *Memory) Usage(ctx context.Context, owner string) (taskq.Usage, error) {
	if err := m.check(ctx); err != nil {
		return taskq.Usage{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if u := m.usage[owner]; u != nil {
		return *u, nil
	}
	return taskq.Usage{}, nil
}

// roomLocked refuses adding records of the given number and estimated
// size beyond the WithLimits caps.
func (m *Memory) roomLocked(n int, size int64) error {
	if m.maxTasks > 0 && len(m.tasks)+n > m.maxTasks {
		return &taskq.Error{Code: taskq.CodeQuotaExceeded, Retryable: true,
			Message: "storage: memory store is full (" + strconv.Itoa(m.maxTasks) + " tasks)"}
	}
	if m.maxBytes > 0 && m.bytes+size > m.maxBytes {
		return &taskq.Error{Code: taskq.CodeQuotaExceeded, Retryable: true,
			Message: "storage: memory store is full (" + strconv.FormatInt(m.maxBytes, 10) + " bytes)"}
	}
	return nil
}
