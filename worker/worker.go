package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/internal/names"
)

var _ taskq.Worker = (*Worker)(nil)

// Worker leases tasks and runs their handlers. Create it with New, register
// handlers with Handle, then Start; Stop shuts it down gracefully.
type Worker struct {
	queue taskq.Queue
	store taskq.StorageAdapter
	cfg   Config
	log   *slog.Logger

	mu       sync.RWMutex
	handlers map[string]taskq.Handler
	types    map[string]TypeConfig
	mws      []func(taskq.Handler) taskq.Handler

	held     heldSet             // leases held by this worker, for heartbeats and shutdown
	startObs taskq.StartObserver // cfg.Observer's, when it has one
	starter  starter             // batches the record starts of concurrent runners
	pauses   pauseCache          // the storage's paused queues
	// progressW stores handlers' progress (progress.go); nil when the
	// storage cannot.
	progressW taskq.ProgressWriter
	// finishRemovesEntry is set when storing a completion also removes the
	// task's queue entry (entryRemover): complete then sends no ack.
	finishRemovesEntry bool
	// leaseStart leases and starts the leased records in one step
	// (leaseStarter), for leases that start at once; nil when the queue
	// cannot for this storage.
	leaseStart leaseStarter
	// inflight counts the jobs dispatched whose handlers have not returned
	// (queued, starting or running): Concurrency - inflight handlers are
	// idle.
	inflight atomic.Int64
	ownDLQ   *dlq.DLQ // built by New when Config.DeadLetter is nil; its cleanup runs with the worker

	events eventHub // subscriptions (events.go)

	reconcileMu sync.Mutex
	reconcileAt map[string]string // queue -> cursor where the next reconcile pass starts

	reaper reaperState // the reaper's view of the queue backend (background.go)

	slots   chan struct{} // lease budget: Concurrency + Prefetch tasks leased and not yet run
	running chan struct{} // Concurrency: handlers running at once
	jobs    chan job
	acks    chan ackItem

	lifeMu    sync.Mutex
	started   bool
	stopping  bool
	fetchCtx  context.Context
	stopFetch context.CancelCauseFunc
	bgCtx     context.Context
	stopBg    context.CancelFunc
	fetchWG   sync.WaitGroup
	runWG     sync.WaitGroup
	bgWG      sync.WaitGroup
	ackWG     sync.WaitGroup
	stopped   chan struct{}
	stopOnce  sync.Once
}

// entryRemover is a Queue whose entries the storage removes in the
// statement that stores a task's terminal status (postgres.Queue made by
// Store.Queue, with Config.Dispatch): acknowledging a completed task's
// lease would find nothing left to delete.
type entryRemover interface {
	RemovesEntryOnFinish(s taskq.StorageAdapter) bool
}

// leaseStarter is a Queue that can lease and start the records of the
// first n leased tasks in one step, one round trip and one commit
// (postgres.Queue made by Store.Queue, with Config.Dispatch: see its
// LeaseAndStart).
type leaseStarter interface {
	LeaseAndStart(ctx context.Context, p taskq.LeaseParams, n int, s taskq.StorageAdapter, at time.Time) ([]taskq.Lease, map[string]*taskq.Task, error)
}

type job struct {
	queue string
	held  *heldLease
	// started is the record LeaseAndStart started with the lease; nil: the
	// runner starts it (starter).
	started *taskq.Task
}

type ackItem struct {
	queue string
	lease taskq.Lease
	ev    *taskq.Event // instead of a lease: publish once the earlier acks are sent
}

// New returns a Worker over store and queue (the same order as
// taskq.NewClient and dlq.New).
func New(store taskq.StorageAdapter, queue taskq.Queue, cfg Config) (*Worker, error) {
	if store == nil {
		return nil, errors.New("worker: New needs a taskq.StorageAdapter (e.g. storage.NewMemory())")
	}
	if queue == nil {
		return nil, errors.New("worker: New needs a taskq.Queue (e.g. queue.NewMemory())")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var own *dlq.DLQ
	if cfg.DeadLetter == nil {
		d, err := dlq.New(store, queue, cfg.DeadLetterConfig, dlq.Options{Observer: cfg.Observer, Logger: cfg.Logger, Now: cfg.Now})
		if err != nil {
			return nil, err
		}
		cfg.DeadLetter, own = d, d
	}
	for _, q := range cfg.Queues {
		if !names.Valid(q, taskq.MaxQueueNameLength) {
			return nil, fmt.Errorf("worker: invalid queue name %q", q)
		}
	}
	if cfg.Weights != nil && len(cfg.Weights) != taskq.NumPriorities {
		return nil, fmt.Errorf("worker: Weights needs %d entries, one per priority", taskq.NumPriorities)
	}
	w := &Worker{
		queue:    queue,
		store:    store,
		cfg:      cfg,
		log:      cfg.Logger.With("component", "worker"),
		handlers: map[string]taskq.Handler{},
		types:    map[string]TypeConfig{},
		held:     heldSet{m: map[string]*heldLease{}},
		ownDLQ:   own,
		slots:    make(chan struct{}, cfg.Concurrency+cfg.Prefetch),
		running:  make(chan struct{}, cfg.Concurrency),
		jobs:     make(chan job, cfg.runners()),
		acks:     make(chan ackItem, 4*cfg.Concurrency),
		stopped:  make(chan struct{}),
	}
	w.pauses.p, _ = store.(taskq.QueuePauser)
	w.progressW, _ = store.(taskq.ProgressWriter)
	if r, ok := queue.(entryRemover); ok {
		w.finishRemovesEntry = r.RemovesEntryOnFinish(store)
	}
	if ls, ok := queue.(leaseStarter); ok && w.finishRemovesEntry {
		w.leaseStart = ls
	}
	w.startObs, _ = cfg.Observer.(taskq.StartObserver)
	w.starter.w = w
	for range cfg.Concurrency + cfg.Prefetch {
		w.slots <- struct{}{}
	}
	return w, nil
}

// Handle registers the handler of a task type. Like http.ServeMux, it
// panics when the type already has a handler (two handlers for one type
// are a programming error: which one runs would depend on the order of
// registration), when the type is empty or when h is nil.
func (w *Worker) Handle(taskType string, h taskq.Handler) {
	if taskType == "" {
		panic("worker: Handle needs a task type")
	}
	if h == nil {
		panic(fmt.Sprintf("worker: nil handler for task type %q", taskType))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, dup := w.handlers[taskType]; dup {
		panic(fmt.Sprintf("worker: a handler for task type %q is already registered", taskType))
	}
	w.handlers[taskType] = h
}

// HandleFunc registers a function as the handler of a task type; it panics
// as Handle does.
func (w *Worker) HandleFunc(taskType string, f func(ctx context.Context, t *taskq.Task) (any, error)) {
	w.Handle(taskType, taskq.HandlerFunc(f))
}

// Configure sets the per-type options of a task type.
func (w *Worker) Configure(taskType string, tc TypeConfig) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.types[taskType] = tc
}

// Use adds middleware wrapped around every handler, outermost first.
func (w *Worker) Use(mw ...func(taskq.Handler) taskq.Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mws = append(w.mws, mw...)
}

// Types returns the registered task types.
func (w *Worker) Types() []string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]string, 0, len(w.handlers))
	for t := range w.handlers {
		out = append(out, t)
	}
	return out
}

func (w *Worker) handler(taskType string) (taskq.Handler, TypeConfig, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	h, ok := w.handlers[taskType]
	if !ok {
		return nil, TypeConfig{}, false
	}
	for i := len(w.mws) - 1; i >= 0; i-- {
		h = w.mws[i](h)
	}
	tc, ok := w.types[taskType]
	if !ok {
		return h, TypeConfig{}, true
	}
	return h, tc, true
}

// Start binds the queue to the storage (taskq.BindQueue: a shared queue
// bound to another storage fails Start with an error matching
// taskq.ErrStorageMismatch), starts the retention cleanup of the worker's
// own dead letter queue (see Config.DeadLetter), begins leasing and returns
// once the worker runs. A second Start is a no-op. ctx bounds Start only;
// use Stop.
func (w *Worker) Start(ctx context.Context) error {
	w.lifeMu.Lock()
	defer w.lifeMu.Unlock()
	if w.started {
		return nil
	}
	if w.stopping {
		return errors.New("worker: cannot start a stopped worker")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := taskq.BindQueue(ctx, w.store, w.queue); err != nil {
		if !errors.Is(err, taskq.ErrUnavailable) {
			return fmt.Errorf("worker: %w", err)
		}
		// Not a mismatch: the backend is down for now. The worker starts
		// (it waits for the backend like any other call) and every
		// Client checks the binding again on its next enqueue.
		w.log.WarnContext(ctx, "cannot check the queue's storage binding; starting anyway", "error", err)
	}
	w.started = true
	w.fetchCtx, w.stopFetch = context.WithCancelCause(context.Background())
	w.bgCtx, w.stopBg = context.WithCancel(context.Background())

	w.ackWG.Add(1)
	go w.ackLoop()
	for range w.cfg.runners() {
		w.runWG.Add(1)
		go w.runLoop()
	}
	for _, q := range w.cfg.Queues {
		for range w.cfg.Fetchers {
			w.fetchWG.Add(1)
			go w.fetchLoop(q)
		}
	}
	w.bgWG.Add(4)
	go w.every(w.cfg.HeartbeatInterval, w.heartbeat)
	go w.every(w.cfg.HeartbeatInterval, w.fence)
	go w.every(w.cfg.HeartbeatInterval, w.checkRecords)
	go w.runMaintenance()
	if r, ok := w.store.(taskq.OutboxRelay); ok && !w.cfg.NoOutboxRelay {
		w.bgWG.Add(1)
		go w.relayOutbox(r)
	}
	w.log.InfoContext(ctx, "worker started", "queues", w.cfg.Queues, "concurrency", w.cfg.Concurrency)
	return nil
}

// Stopped is closed once Stop has finished.
func (w *Worker) Stopped() <-chan struct{} { return w.stopped }

func (w *Worker) now() time.Time { return w.cfg.Now().UTC() }
