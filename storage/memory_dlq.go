package storage

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/timerange"
)

// dlqKey orders dead letter entries: oldest entry first, then by id. A
// dead_letter record without DeadLetteredAt sorts as the zero time.
type dlqKey struct {
	at time.Time
	id string
}

func dlqKeyOf(t *taskq.Task) dlqKey {
	k := dlqKey{id: t.ID}
	if t.DeadLetteredAt != nil {
		k.at = *t.DeadLetteredAt
	}
	return k
}

func cmpDLQ(a, b dlqKey) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func (m *Memory) dlqInsertLocked(k dlqKey) {
	if n := len(m.dlq); n == 0 || cmpDLQ(m.dlq[n-1], k) < 0 {
		m.dlq = append(m.dlq, k)
		return
	}
	i, found := slices.BinarySearchFunc(m.dlq, k, cmpDLQ)
	if !found {
		m.dlq = slices.Insert(m.dlq, i, k)
	}
}

func (m *Memory) dlqRemoveLocked(k dlqKey) {
	if i, found := slices.BinarySearchFunc(m.dlq, k, cmpDLQ); found {
		m.dlq = slices.Delete(m.dlq, i, i+1)
	}
}

// DLQ cursors encode the last entry's time (seconds.nanoseconds) and id,
// base64url encoded.

func encodeDLQCursor(k dlqKey) string {
	s := strconv.FormatInt(k.at.Unix(), 10) + "." + strconv.Itoa(k.at.Nanosecond()) + ":" + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeDLQCursor(s string) (dlqKey, error) {
	bad := invalid("storage: malformed dead letter cursor")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return dlqKey{}, bad
	}
	ts, id, ok := strings.Cut(string(b), ":")
	secs, nanos, ok2 := strings.Cut(ts, ".")
	if !ok || !ok2 || id == "" {
		return dlqKey{}, bad
	}
	sec, err1 := strconv.ParseInt(secs, 10, 64)
	nsec, err2 := strconv.ParseInt(nanos, 10, 64)
	if err1 != nil || err2 != nil || nsec < 0 || nsec >= int64(time.Second) {
		return dlqKey{}, bad
	}
	at := time.Unix(sec, nsec).UTC()
	if !timerange.Valid(at) {
		return dlqKey{}, bad
	}
	return dlqKey{at: at, id: id}, nil
}

// GetDeadLetterTasks lists copies of the dead letter entries, oldest entry
// first (by DeadLetteredAt, then id). A malformed cursor gives an error
// matching taskq.ErrInvalidInput.
func (m *Memory) GetDeadLetterTasks(ctx context.Context, f taskq.DeadLetterFilter) (taskq.TaskPage, error) {
	if err := m.check(ctx); err != nil {
		return taskq.TaskPage{}, err
	}
	var after dlqKey
	if f.Cursor != "" {
		var err error
		if after, err = decodeDLQCursor(f.Cursor); err != nil {
			return taskq.TaskPage{}, err
		}
	}
	limit := names.PageLimit(f.Limit)
	m.mu.RLock()
	defer m.mu.RUnlock()
	start := 0
	if f.Cursor != "" {
		i, found := slices.BinarySearchFunc(m.dlq, after, cmpDLQ)
		if found {
			i++
		}
		start = i
	}
	page := taskq.TaskPage{Tasks: make([]*taskq.Task, 0, min(limit, len(m.dlq)-start))}
	for _, k := range m.dlq[start:] {
		t := m.tasks[k.id]
		if f.Type != "" && t.Type != f.Type {
			continue
		}
		if len(page.Tasks) == limit {
			page.NextCursor = encodeDLQCursor(dlqKeyOf(page.Tasks[limit-1]))
			break
		}
		page.Tasks = append(page.Tasks, t.Clone())
	}
	return page, nil
}

// GetDeadLetterTask returns a copy of a dead_letter record, or an error
// matching taskq.ErrNotFound when the task is missing or not in the DLQ.
func (m *Memory) GetDeadLetterTask(ctx context.Context, id string) (*taskq.Task, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	cur, ok := m.tasks[id]
	if !ok || cur.Status != taskq.StatusDeadLetter {
		return nil, notFound("dead letter task", id)
	}
	return cur.Clone(), nil
}

// MoveTaskToDeadLetter overwrites the mutable fields of record t.ID with
// those of t, as status dead_letter entered at t.DeadLetteredAt (the clock
// when nil; Updated too when zero). A missing record gives an error
// matching taskq.ErrNotFound, a terminal one (or one running another
// attempt than t.Attempts) taskq.ErrConflict. When maxSize > 0 and the DLQ
// then holds more than maxSize entries, other entries are purged until it
// does not, and their number returned: each time the oldest entry of the
// owner holding the most entries, so one owner filling the DLQ evicts its
// own entries first.
func (m *Memory) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	if t == nil {
		return 0, invalid("storage: nil task")
	}
	u := mutableOf(t)
	u.status = taskq.StatusDeadLetter
	if u.deadLetteredAt == nil || u.updated.IsZero() {
		now := m.clock()
		if u.deadLetteredAt == nil {
			u.deadLetteredAt = &now
		}
		if u.updated.IsZero() {
			u.updated = now
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.tasks[t.ID]
	if !ok {
		return 0, notFound("task", t.ID)
	}
	if cur.Status.Terminal() {
		return 0, &taskq.Error{Code: taskq.CodeConflict, Message: "task " + t.ID + " is already " + string(cur.Status)}
	}
	if cur.Status == taskq.StatusRunning && cur.Attempts != t.Attempts {
		return 0, &taskq.Error{Code: taskq.CodeConflict, Message: fmt.Sprintf("task %s is running attempt %d, not %d", t.ID, cur.Attempts, t.Attempts)}
	}
	m.applyLocked(cur, &u)
	if maxSize <= 0 || len(m.dlq) <= maxSize {
		return 0, nil
	}
	evicted := 0
	for len(m.dlq) > maxSize {
		k, ok := m.victimLocked(t.ID)
		if !ok {
			break
		}
		v := m.tasks[k.id]
		m.evictions.Add(v.Owner, 1)
		m.dlqRemoveLocked(k)
		m.purgeLocked(v)
		evicted++
	}
	return evicted, nil
}

// victimLocked picks the entry the size cap evicts: the oldest entry of
// the owner holding the most entries (ties: the smallest owner), never
// the entry keep just moved. One owner filling the DLQ so evicts its own
// entries, not other owners'.
func (m *Memory) victimLocked(keep string) (dlqKey, bool) {
	top, most := "", int64(0)
	for o, u := range m.usage {
		if u.DeadLetter > most || (u.DeadLetter == most && most > 0 && o < top) {
			top, most = o, u.DeadLetter
		}
	}
	var fallback *dlqKey
	for i, k := range m.dlq {
		if k.id == keep {
			continue
		}
		if m.tasks[k.id].Owner == top {
			return k, true
		}
		if fallback == nil {
			fallback = &m.dlq[i]
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return dlqKey{}, false
}

// TakeDeadLetterEvictions returns the entries the size cap evicted per
// owner since the previous call (taskq.DeadLetterEvictions).
func (m *Memory) TakeDeadLetterEvictions() map[string]int { return m.evictions.Take() }

// RemoveFromDeadLetter purges a dead_letter record, or returns an error
// matching taskq.ErrNotFound.
func (m *Memory) RemoveFromDeadLetter(ctx context.Context, id string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.tasks[id]
	if !ok || cur.Status != taskq.StatusDeadLetter {
		return notFound("dead letter task", id)
	}
	m.dlqRemoveLocked(dlqKeyOf(cur))
	m.purgeLocked(cur)
	return nil
}

// CleanupDeadLetterTasks purges the entries that entered the DLQ strictly
// before threshold and returns how many.
func (m *Memory) CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := sort.Search(len(m.dlq), func(i int) bool { return !m.dlq[i].at.Before(threshold) })
	for _, k := range m.dlq[:n] {
		m.purgeLocked(m.tasks[k.id])
	}
	m.dlq = slices.Delete(m.dlq, 0, n)
	return n, nil
}

// CountDeadLetterTasks returns the number of dead letter entries.
func (m *Memory) CountDeadLetterTasks(ctx context.Context) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.dlq), nil
}
