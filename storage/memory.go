package storage

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/ownercount"
)

// Compile-time checks that Memory implements both interfaces.
var (
	_ taskq.StorageAdapter      = (*Memory)(nil)
	_ taskq.StorageIdentity     = (*Memory)(nil)
	_ taskq.OwnerUsage          = (*Memory)(nil)
	_ taskq.DeadLetterEvictions = (*Memory)(nil)
	_ taskq.StatusCounter       = (*Memory)(nil)
	_ taskq.ProgressWriter      = (*Memory)(nil)
)

// Memory is an in-memory [taskq.StorageAdapter] and
// [taskq.StorageIdentity]. It is safe for concurrent use. It stores and
// returns deep copies, so callers can never change stored state by
// modifying a task (or its metadata) they passed in or got back. Metadata
// is stored as PostgreSQL returns it (see [taskq.NormalizeMetadata]):
// numbers as json.Number, nested values as JSON objects and arrays.
//
// Lookups by id are O(1); ListTasks walks an id-ordered index from the
// cursor; the dead letter queue is kept ordered by (DeadLetteredAt, ID).
// Nothing survives the process: use storage/postgres for durability.
type Memory struct {
	id     string // storage identity: a random UUID per instance
	now    func() time.Time
	closed atomic.Bool

	mu    sync.RWMutex
	tasks map[string]*taskq.Task
	// order holds task ids ascending. Deleted ids may linger as tombstones
	// (ids absent from tasks), counted by stale, until a compaction.
	order []string
	stale int
	idem  map[idemKey]string
	// uniq maps a unique key to its last task, uniqOf a task id to the
	// key it was created with (memory_unique.go); nil until first used.
	uniq   map[string]uniqueHolder
	uniqOf map[string]string
	// dlq holds the dead letter entries ascending by (DeadLetteredAt, ID).
	dlq []dlqKey

	// retention, when positive, bounds how long completed and cancelled
	// records are kept; finished lists them in the order they finished.
	retention time.Duration
	finished  []finished

	// usage counts per owner (taskq.OwnerUsage); metaBytes holds the
	// encoded metadata size of each record that has metadata; bytes is
	// the estimated size of every record (see recordBytes).
	usage     map[string]*taskq.Usage
	metaBytes map[string]int64
	bytes     int64
	// maxTasks and maxBytes, when positive, cap what CreateTask and
	// CreateTasks may add (WithLimits).
	maxTasks int
	maxBytes int64
	// evictions counts DLQ entries evicted per owner.
	evictions ownercount.Counter

	pauseMu sync.Mutex
	paused  map[string]bool // paused queues (taskq.QueuePauser)

	schedMu sync.Mutex
	scheds  map[string]taskq.StoredSchedule // taskq.ScheduleStore

	// stat counts records by queue, type and status (taskq.StatusCounter).
	stat statusCounts
}

type idemKey struct{ owner, key string }

// MemoryOption configures NewMemory.
type MemoryOption func(*Memory)

// WithClock sets the clock used where a method needs the current time (the
// DLQ entry time when a task has none, StartTasks with a zero now). The
// default is time.Now.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) {
		if now != nil {
			m.now = now
		}
	}
}

// WithLimits caps the store: at most maxTasks records and about maxBytes
// bytes of records (an estimate: the sizes of the strings, metadata,
// result and error of each record plus a fixed overhead per record).
// Zero or negative means no cap. Creating tasks beyond a cap fails with an
// error matching taskq.ErrQuotaExceeded and stores nothing; updates are
// never refused, so a result may take the estimate a little beyond
// maxBytes.
func WithLimits(maxTasks int, maxBytes int64) MemoryOption {
	return func(m *Memory) {
		m.maxTasks, m.maxBytes = maxTasks, maxBytes
	}
}

// NewMemory returns an empty in-memory store.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{
		id:        uuid.NewString(),
		now:       time.Now,
		tasks:     make(map[string]*taskq.Task),
		idem:      make(map[idemKey]string),
		usage:     make(map[string]*taskq.Usage),
		metaBytes: make(map[string]int64),
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Ping reports whether the store is open.
func (m *Memory) Ping(ctx context.Context) error { return m.check(ctx) }

// Close closes the store; later calls return an error matching
// taskq.ErrUnavailable. Closing twice is harmless.
func (m *Memory) Close() error {
	m.closed.Store(true)
	return nil
}

// StorageID returns the store's identity: a random UUID chosen when the
// Memory was created, so every instance is a data set of its own.
func (m *Memory) StorageID(ctx context.Context) (string, error) {
	if err := m.check(ctx); err != nil {
		return "", err
	}
	return m.id, nil
}

// Len returns the number of task records (for tests and diagnostics).
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.tasks)
}

func (m *Memory) check(ctx context.Context) error {
	if m.closed.Load() {
		return taskq.NewError(taskq.CodeServiceUnavailable, "storage: memory store is closed")
	}
	return ctx.Err()
}

func (m *Memory) clock() time.Time { return m.now().UTC().Round(0) }

func notFound(what, id string) error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: what + " " + id + " not found"}
}

func invalid(msg string) error { return taskq.NewError(taskq.CodeInvalidInput, msg) }

// stored returns a copy of t owned by the store: nothing shared with the
// caller, metadata in the form PostgreSQL returns (taskq.NormalizeMetadata:
// copied through JSON, numbers as json.Number; nil stays nil), and no
// monotonic clock readings (so time comparisons in the indexes use wall
// time only). Metadata that JSON cannot encode is invalid input.
func stored(t *taskq.Task) (*taskq.Task, int64, error) {
	shallow := *t
	shallow.Metadata = nil // replaced below, not worth a deep copy
	c := shallow.Clone()
	var size int64
	if t.Metadata != nil {
		md, enc, err := taskq.NormalizeMetadata(t.Metadata)
		if err != nil {
			return nil, 0, invalid("storage: metadata is not encodable as JSON")
		}
		c.Metadata, size = md, int64(len(enc))
	}
	c.Created = c.Created.Round(0)
	c.Updated = c.Updated.Round(0)
	c.RunAt = c.RunAt.Round(0)
	c.CompletedAt = roundPtr(c.CompletedAt)
	c.Deadline = roundPtr(c.Deadline)
	c.StartedAt = roundPtr(c.StartedAt)
	c.DeadLetteredAt = roundPtr(c.DeadLetteredAt)
	return c, size, nil
}

func roundPtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := p.Round(0)
	return &v
}

// insertLocked adds an owned record (with metadata of size meta) and
// indexes it. The caller holds mu and has checked that the id and
// idempotency key are free.
func (m *Memory) insertLocked(t *taskq.Task, meta int64) {
	t.Progress = nil // set by SetProgress only
	m.tasks[t.ID] = t
	if meta > 0 {
		m.metaBytes[t.ID] = meta
	}
	m.countLocked(t, 1)
	if t.IdempotencyKey != "" {
		m.idem[idemKey{t.Owner, t.IdempotencyKey}] = t.ID
	}
	m.takeUniqueLocked(t)
	m.addOrderLocked(t.ID)
	if t.Status == taskq.StatusDeadLetter {
		m.dlqInsertLocked(dlqKeyOf(t))
	}
}

// purgeLocked removes a record from the map, the idempotency index and
// (lazily) the order index; the caller removes its DLQ entry.
func (m *Memory) purgeLocked(t *taskq.Task) {
	m.countLocked(t, -1)
	delete(m.metaBytes, t.ID)
	delete(m.tasks, t.ID)
	if t.IdempotencyKey != "" {
		k := idemKey{t.Owner, t.IdempotencyKey}
		if m.idem[k] == t.ID {
			delete(m.idem, k)
		}
	}
	m.dropUniqueLocked(t.ID)
	m.stale++
	m.compactLocked()
}

func (m *Memory) addOrderLocked(id string) {
	if n := len(m.order); n == 0 || m.order[n-1] < id {
		m.order = append(m.order, id)
		return
	}
	i, found := slices.BinarySearch(m.order, id)
	if found { // a tombstone of a deleted record comes back to life
		m.stale--
		return
	}
	m.order = slices.Insert(m.order, i, id)
}

// compactLocked drops tombstones from order once they are most of it.
func (m *Memory) compactLocked() {
	if m.stale < 1024 || m.stale*2 < len(m.order) {
		if len(m.tasks) == 0 {
			m.order, m.stale = m.order[:0], 0
		}
		return
	}
	m.order = slices.DeleteFunc(m.order, func(id string) bool {
		_, ok := m.tasks[id]
		return !ok
	})
	m.stale = 0
}
