package queue

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/flow"
	"github.com/taskq/taskq/internal/names"
)

// ErrClosed is returned by every method of a Memory after Close. It matches
// taskq.ErrUnavailable with errors.Is.
var ErrClosed = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "queue: memory queue closed"}

// Memory is an in-memory taskq.Queue. Each queue name has its own lock,
// lists of ready entries per priority in rounds shared between owners, a heap of scheduled entries by run time and a
// heap of leases by deadline, so every operation costs O(log n) per id at
// most and Stats is O(1). It is safe for concurrent use.
type Memory struct {
	now       func() time.Time
	queues    sync.Map // name -> *memQueue
	closed    atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ taskq.Queue          = (*Memory)(nil)
	_ taskq.EnqueueCounter = (*Memory)(nil)
)

// NewMemory returns an empty in-memory Queue.
func NewMemory(opts ...MemoryOption) *Memory {
	cfg := memoryConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return &Memory{now: cfg.now, done: make(chan struct{})}
}

func (m *Memory) nowNanos() int64 { return unixNano(m.now()) }

// check returns ErrClosed after Close, else ctx's error.
func (m *Memory) check(ctx context.Context) error {
	if m.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// lookup returns the queue named name, or nil if it does not exist.
func (m *Memory) lookup(name string) *memQueue {
	if v, ok := m.queues.Load(name); ok {
		return v.(*memQueue)
	}
	return nil
}

// queue returns the queue named name, creating it when the name is valid.
func (m *Memory) queue(name string) (*memQueue, error) {
	if q := m.lookup(name); q != nil {
		return q, nil
	}
	if !names.Valid(name, taskq.MaxQueueNameLength) {
		return nil, taskq.Errorf(taskq.CodeInvalidInput,
			"queue: invalid queue name %q: use 1 to %d letters, digits or ._:-/", name, taskq.MaxQueueNameLength)
	}
	v, _ := m.queues.LoadOrStore(name, newMemQueue(name))
	return v.(*memQueue), nil
}

func checkEntry(e taskq.QueueEntry) error {
	if e.ID == "" {
		return taskq.Errorf(taskq.CodeInvalidInput, "queue: entry id is empty")
	}
	if !e.Priority.Valid() {
		return taskq.Errorf(taskq.CodeInvalidInput, "queue: entry %q has invalid priority %d", e.ID, int(e.Priority))
	}
	return nil
}

// runAtNanos is the run time of e; zero means now.
func runAtNanos(e taskq.QueueEntry, now int64) int64 {
	if e.RunAt.IsZero() {
		return now
	}
	return unixNano(e.RunAt)
}

// Enqueue implements taskq.Queue.
func (m *Memory) Enqueue(ctx context.Context, queue string, entries ...taskq.QueueEntry) error {
	_, err := m.EnqueueNew(ctx, queue, entries...)
	return err
}

// EnqueueNew implements taskq.EnqueueCounter: Enqueue that reports how many
// ids were added (not already present).
func (m *Memory) EnqueueNew(ctx context.Context, queue string, entries ...taskq.QueueEntry) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	for _, e := range entries {
		if err := checkEntry(e); err != nil {
			return 0, err
		}
	}
	if len(entries) == 0 {
		return 0, nil
	}
	q, err := m.queue(queue)
	if err != nil {
		return 0, err
	}
	q.used.Store(true)
	now := m.nowNanos()
	q.mu.Lock()
	defer q.mu.Unlock()
	added := 0
	for _, e := range entries {
		if _, ok := q.entries[e.ID]; ok {
			continue
		}
		q.place(q.alloc(e.ID, e.Priority, e.Type, e.Owner), runAtNanos(e, now), now)
		added++
	}
	if added > 0 {
		q.notify()
	}
	return added, nil
}

// Lease implements taskq.Queue. With p.Weights set, each of the p.Max
// slots picks a priority at random among the non-empty ones, in proportion
// to their weights; priorities without a positive weight are taken only
// when no weighted priority has entries.
func (m *Memory) Lease(ctx context.Context, p taskq.LeaseParams) ([]taskq.Lease, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	if p.Max < 1 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "queue: lease max must be at least 1, got %d", p.Max)
	}
	if p.TTL <= 0 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "queue: lease ttl must be positive, got %s", p.TTL)
	}
	q := m.lookup(p.Queue)
	if q == nil {
		return []taskq.Lease{}, nil
	}
	var now int64
	if p.Now.IsZero() {
		now = m.nowNanos()
	} else {
		now = unixNano(p.Now)
	}
	deadline := addNanos(now, p.TTL)
	dl := fromNanos(deadline)

	q.mu.Lock()
	defer q.mu.Unlock()
	q.promote(now)
	if flow.Active(p.Limits, p.Queue) {
		return q.leaseLimited(p, now, deadline), nil
	}
	n := min(p.Max, q.readyCount())
	out := make([]taskq.Lease, 0, n)
	for range n {
		e := q.next(p.Weights)
		q.lease(e, deadline)
		out = append(out, taskq.Lease{ID: e.id, Priority: e.priority(), Deadline: dl, Token: e.token})
	}
	return out, nil
}

// Extend implements taskq.Queue. A lease that expired but was not reaped
// yet is still held and is extended.
func (m *Memory) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) ([]taskq.Lease, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "queue: extend ttl must be positive, got %s", ttl)
	}
	q := m.lookup(queue)
	if q == nil {
		return slices.Clone(leases), nil
	}
	deadline := addNanos(m.nowNanos(), ttl)
	var lost []taskq.Lease
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, l := range leases {
		e := q.entries[l.ID]
		if !holds(e, l.Token) {
			lost = append(lost, l)
			continue
		}
		e.key = deadline
		e.seq = q.nextSeq()
		q.leased.fix(int(e.idx))
	}
	return lost, nil
}

// Ack implements taskq.Queue. Ids that are not leased under the given
// token (absent, ready, scheduled or leased again) are left alone.
func (m *Memory) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	q := m.lookup(queue)
	if q == nil || len(leases) == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, l := range leases {
		if e := q.entries[l.ID]; holds(e, l.Token) {
			q.detach(e)
			q.drop(e)
		}
	}
	return nil
}

// Requeue implements taskq.Queue.
func (m *Memory) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if err := checkEntry(e); err != nil {
		return err
	}
	q, err := m.queue(queue)
	if err != nil {
		return err
	}
	q.used.Store(true)
	now := m.nowNanos()
	runAt := runAtNanos(e, now)
	q.mu.Lock()
	defer q.mu.Unlock()
	cur := q.entries[e.ID]
	switch {
	case e.Token != 0 && !holds(cur, e.Token):
		return nil // the caller's lease is gone
	case cur == nil:
		cur = q.alloc(e.ID, e.Priority, e.Type, e.Owner)
	case cur.state == stateLeased:
		q.detach(cur)
	default:
		return nil // already ready or scheduled
	}
	q.place(cur, runAt, now)
	q.notify()
	return nil
}

// Remove implements taskq.Queue.
func (m *Memory) Remove(ctx context.Context, queue string, ids ...string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	q := m.lookup(queue)
	if q == nil || len(ids) == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		if e := q.entries[id]; e != nil {
			q.detach(e)
			q.drop(e)
		}
	}
	return nil
}

// Reap implements taskq.Queue. Expired leases come out earliest deadline
// first.
func (m *Memory) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "queue: reap max must be at least 1, got %d", max)
	}
	if ttl <= 0 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "queue: reap ttl must be positive, got %s", ttl)
	}
	q := m.lookup(queue)
	if q == nil {
		return []taskq.Lease{}, nil
	}
	now := m.nowNanos()
	deadline := addNanos(now, ttl)
	dl := fromNanos(deadline)
	q.mu.Lock()
	defer q.mu.Unlock()
	var expired []*entry
	for len(q.leased) > 0 && len(expired) < max && q.leased[0].key <= now {
		expired = append(expired, q.leased.pop())
	}
	out := make([]taskq.Lease, len(expired))
	for i, e := range expired {
		q.lease(e, deadline)
		out[i] = taskq.Lease{ID: e.id, Priority: e.priority(), Deadline: dl, Token: e.token}
	}
	return out, nil
}

// Wait implements taskq.Queue. It returns at once when entries are ready
// or due, and otherwise sleeps on a channel that Enqueue and Requeue
// close, with a timer for the earliest scheduled entry.
func (m *Memory) Wait(ctx context.Context, queue string, max time.Duration) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if max <= 0 {
		return nil
	}
	q, err := m.queue(queue)
	if err != nil {
		return err
	}
	now := m.nowNanos()
	d := max
	q.mu.Lock()
	if q.readyCount() > 0 {
		q.mu.Unlock()
		return nil
	}
	if len(q.sched) > 0 {
		due := time.Duration(q.sched[0].key - now)
		if due <= 0 {
			q.mu.Unlock()
			return nil
		}
		d = min(d, due)
	}
	if q.wake == nil {
		q.wake = make(chan struct{})
	}
	wake := q.wake
	q.mu.Unlock()

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-wake:
		return nil
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-m.done:
		return ErrClosed
	}
}

// Stats implements taskq.Queue in O(1).
func (m *Memory) Stats(ctx context.Context, queue string) (taskq.QueueStats, error) {
	var s taskq.QueueStats
	if err := m.check(ctx); err != nil {
		return s, err
	}
	q := m.lookup(queue)
	if q == nil {
		return s, nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for p := range q.ready {
		s.Ready[p] = int64(q.ready[p].n)
	}
	s.Scheduled = int64(len(q.sched))
	s.Leased = int64(len(q.leased))
	return s, nil
}

// Queues implements taskq.Queue; the names come sorted.
func (m *Memory) Queues(ctx context.Context) ([]string, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	names := []string{}
	m.queues.Range(func(_, v any) bool {
		if q := v.(*memQueue); q.used.Load() {
			names = append(names, q.name)
		}
		return true
	})
	slices.Sort(names)
	return names, nil
}

// Ping implements taskq.Queue: it fails only after Close.
func (m *Memory) Ping(ctx context.Context) error {
	return m.check(ctx)
}

// Close implements taskq.Queue: later calls return ErrClosed and blocked
// Waits return it at once. Closing twice is not an error.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		m.closed.Store(true)
		close(m.done)
	})
	return nil
}
