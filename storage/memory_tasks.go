package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/taskq/taskq"
)

func duplicate(id string) error {
	return taskq.NewDuplicateError("task "+id+" exists (same id or idempotency key)", nil)
}

// existingLocked returns the record that blocks creating t: one with the
// same id, or the same (Owner, IdempotencyKey).
func (m *Memory) existingLocked(t *taskq.Task) *taskq.Task {
	if cur, ok := m.tasks[t.ID]; ok {
		return cur
	}
	if t.IdempotencyKey != "" {
		if id, ok := m.idem[idemKey{t.Owner, t.IdempotencyKey}]; ok {
			return m.tasks[id]
		}
	}
	return nil
}

// CreateTask stores a copy of t. A task with the same id, or the same
// (Owner, IdempotencyKey) when the key is set, makes it store nothing and
// return a copy of that task with an error matching taskq.ErrDuplicate.
func (m *Memory) CreateTask(ctx context.Context, t *taskq.Task) (*taskq.Task, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	if t == nil || t.ID == "" {
		return nil, invalid("storage: task without id")
	}
	c, meta, err := stored(t)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.existingLocked(c); cur != nil {
		return cur.Clone(), duplicate(cur.ID)
	}
	if c.UniqueKey != "" {
		if cur := m.uniqueHolderLocked(c.UniqueKey); cur != nil {
			return cur.Clone(), uniqueDuplicate(cur.ID)
		}
	}
	if err := m.roomLocked(1, recordBytes(c, meta)); err != nil {
		return nil, err
	}
	m.insertLocked(c, meta)
	return c.Clone(), nil
}

// CreateTasks stores copies of ts, all or nothing: a duplicate id or
// idempotency key, in the store or inside the batch, stores none of them.
func (m *Memory) CreateTasks(ctx context.Context, ts []*taskq.Task) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	cs := make([]*taskq.Task, len(ts))
	metas := make([]int64, len(ts))
	var size int64
	ids := make(map[string]struct{}, len(ts))
	keys := make(map[idemKey]struct{})
	uniq := make(map[string]struct{})
	for i, t := range ts {
		if t == nil || t.ID == "" {
			return invalid("storage: task without id")
		}
		if _, dup := ids[t.ID]; dup {
			return duplicate(t.ID)
		}
		ids[t.ID] = struct{}{}
		if t.IdempotencyKey != "" {
			k := idemKey{t.Owner, t.IdempotencyKey}
			if _, dup := keys[k]; dup {
				return duplicate(t.ID)
			}
			keys[k] = struct{}{}
		}
		if t.UniqueKey != "" {
			if _, dup := uniq[t.UniqueKey]; dup {
				return uniqueDuplicate(t.ID)
			}
			uniq[t.UniqueKey] = struct{}{}
		}
		c, meta, err := stored(t)
		if err != nil {
			return err
		}
		cs[i], metas[i] = c, meta
		size += recordBytes(c, meta)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range cs {
		if cur := m.existingLocked(c); cur != nil {
			return duplicate(cur.ID)
		}
		if c.UniqueKey != "" {
			if cur := m.uniqueHolderLocked(c.UniqueKey); cur != nil {
				return uniqueDuplicate(cur.ID)
			}
		}
	}
	if err := m.roomLocked(len(cs), size); err != nil {
		return err
	}
	for i, c := range cs {
		m.insertLocked(c, metas[i])
	}
	return nil
}

// GetTask returns a copy of the record, or an error matching
// taskq.ErrNotFound.
func (m *Memory) GetTask(ctx context.Context, id string) (*taskq.Task, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	cur, ok := m.tasks[id]
	if !ok {
		return nil, notFound("task", id)
	}
	return cur.Clone(), nil
}

// UpdateTask overwrites the mutable fields of record t.ID when its status is
// one of expect (any when expect is empty); see taskq.StorageAdapter.
func (m *Memory) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if t == nil {
		return invalid("storage: nil task")
	}
	return m.update(t, -1, expect)
}

// UpdateAttempt overwrites the mutable fields of record t.ID while it is
// running attempt number attempt; see taskq.StorageAdapter.
func (m *Memory) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if t == nil {
		return invalid("storage: nil task")
	}
	return m.update(t, attempt, []taskq.TaskStatus{taskq.StatusRunning})
}

// update writes t when the record's status is one of expect (any when
// empty) and, when attempt >= 0, the record's attempts equal attempt.
func (m *Memory) update(t *taskq.Task, attempt int, expect []taskq.TaskStatus) error {
	u := mutableOf(t)
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.tasks[t.ID]
	if !ok {
		return notFound("task", t.ID)
	}
	if len(expect) > 0 && !slices.Contains(expect, cur.Status) {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "task " + t.ID + " is " + string(cur.Status)}
	}
	if attempt >= 0 && cur.Attempts != attempt {
		return &taskq.Error{Code: taskq.CodeConflict, Message: fmt.Sprintf("task %s is running attempt %d, not %d", t.ID, cur.Attempts, attempt)}
	}
	m.applyLocked(cur, &u)
	m.noteFinishedLocked(cur)
	m.purgeExpiredLocked()
	return nil
}

// mutable holds owned copies of the fields UpdateTask writes.
type mutable struct {
	status         taskq.TaskStatus
	priority       taskq.TaskPriority
	runAt, updated time.Time
	startedAt      *time.Time
	completedAt    *time.Time
	deadLetteredAt *time.Time
	retryCount     int
	attempts       int
	dlqRetryCount  int
	err            *taskq.TaskError
	result         json.RawMessage
}

func mutableOf(t *taskq.Task) mutable {
	u := mutable{
		status: t.Status, priority: t.Priority,
		runAt: t.RunAt.Round(0), updated: t.Updated.Round(0),
		startedAt: roundPtr(t.StartedAt), completedAt: roundPtr(t.CompletedAt), deadLetteredAt: roundPtr(t.DeadLetteredAt),
		retryCount: t.RetryCount, attempts: t.Attempts, dlqRetryCount: t.DLQRetryCount,
	}
	if t.Error != nil {
		e := *t.Error
		u.err = &e
	}
	if t.Result != nil {
		u.result = bytes.Clone(t.Result)
	}
	return u
}

// applyLocked writes u onto the record cur and keeps the DLQ index in step.
func (m *Memory) applyLocked(cur *taskq.Task, u *mutable) {
	m.countLocked(cur, -1)
	defer m.countLocked(cur, 1)
	wasDLQ, oldKey := cur.Status == taskq.StatusDeadLetter, dlqKeyOf(cur)
	cur.Status = u.status
	cur.Priority = u.priority
	cur.RunAt = u.runAt
	cur.StartedAt = u.startedAt
	cur.CompletedAt = u.completedAt
	cur.RetryCount = u.retryCount
	cur.Attempts = u.attempts
	cur.Error = u.err
	cur.Result = u.result
	cur.DLQRetryCount = u.dlqRetryCount
	cur.DeadLetteredAt = u.deadLetteredAt
	cur.Updated = u.updated
	isDLQ, newKey := cur.Status == taskq.StatusDeadLetter, dlqKeyOf(cur)
	if wasDLQ && isDLQ && cmpDLQ(oldKey, newKey) == 0 {
		return
	}
	if wasDLQ {
		m.dlqRemoveLocked(oldKey)
	}
	if isDLQ {
		m.dlqInsertLocked(newKey)
	}
}

func startable(s taskq.TaskStatus) bool {
	return s == taskq.StatusPending || s == taskq.StatusFailed || s == taskq.StatusRunning
}

// StartTasks marks the pending, failed or running records among ids as
// running at now (the clock when zero), increments their attempts and
// returns copies, in the order of ids. Missing and terminal records, and
// repeated ids, are left out.
func (m *Memory) StartTasks(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = m.clock()
	}
	now = now.Round(0)
	out := make([]*taskq.Task, 0, len(ids))
	var seen map[string]struct{}
	if len(ids) > 16 {
		seen = make(map[string]struct{}, len(ids))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range ids {
		if seen != nil {
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
		} else if slices.Contains(ids[:i], id) {
			continue
		}
		cur, ok := m.tasks[id]
		if !ok || !startable(cur.Status) {
			continue
		}
		m.stat.add(cur, -1)
		cur.Status = taskq.StatusRunning
		m.stat.add(cur, 1)
		cur.Attempts++
		started := now
		cur.StartedAt = &started
		cur.Updated = now
		out = append(out, cur.Clone())
	}
	return out, nil
}

// DeleteTask removes a record for good, or returns an error matching
// taskq.ErrNotFound.
func (m *Memory) DeleteTask(ctx context.Context, id string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.tasks[id]
	if !ok {
		return notFound("task", id)
	}
	if cur.Status == taskq.StatusDeadLetter {
		m.dlqRemoveLocked(dlqKeyOf(cur))
	}
	m.purgeLocked(cur)
	return nil
}
