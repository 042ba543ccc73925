package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

	held heldSet // leases held by this worker, for heartbeats

	events eventHub // subscriptions (events.go)

	reconcileMu sync.Mutex
	reconcileAt map[string]string // queue -> cursor where the next reconcile pass starts

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

type job struct {
	task  *taskq.Task
	lease taskq.Lease
	queue string
	held  *heldLease
}

type ackItem struct {
	queue string
	id    string
	ev    *taskq.Event // instead of an id: publish once the earlier acks are sent
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
	if cfg.DeadLetter == nil {
		d, err := dlq.New(store, queue, taskq.DeadLetterQueueConfig{}, dlq.Options{Observer: cfg.Observer, Logger: cfg.Logger, Now: cfg.Now})
		if err != nil {
			return nil, err
		}
		cfg.DeadLetter = d
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
		slots:    make(chan struct{}, cfg.Concurrency+cfg.Prefetch),
		running:  make(chan struct{}, cfg.Concurrency),
		jobs:     make(chan job, cfg.runners()),
		acks:     make(chan ackItem, 4*cfg.Concurrency),
		stopped:  make(chan struct{}),
	}
	for range cfg.Concurrency + cfg.Prefetch {
		w.slots <- struct{}{}
	}
	return w, nil
}

// Handle registers the handler of a task type, replacing any earlier one.
func (w *Worker) Handle(taskType string, h taskq.Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[taskType] = h
}

// HandleFunc registers a function as the handler of a task type.
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

// Start begins leasing and returns once the worker runs. A second Start is
// a no-op. ctx bounds nothing after Start returns; use Stop.
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
	w.bgWG.Add(2)
	go w.every(w.cfg.HeartbeatInterval, w.heartbeat)
	go w.every(w.cfg.ReapInterval, w.reapAll)
	if w.cfg.ReconcileInterval > 0 {
		w.bgWG.Add(1)
		go w.every(w.cfg.ReconcileInterval, w.reconcileAll)
	}
	w.log.InfoContext(ctx, "worker started", "queues", w.cfg.Queues, "concurrency", w.cfg.Concurrency)
	return nil
}

// Stop stops leasing and waits for running handlers. If ctx ends first, it
// cancels the handlers (context.Cause is taskq.ErrShutdown), gives their
// tasks back to the queue without counting the attempt, and returns
// ctx.Err() once they have returned: a handler that ignores its context
// keeps Stop waiting (its process exit would leave the lease to the
// reaper). Stop is idempotent and may be called before Start.
func (w *Worker) Stop(ctx context.Context) error {
	w.lifeMu.Lock()
	if !w.started || w.stopping {
		started := w.started
		w.stopping = true
		w.lifeMu.Unlock()
		if !started {
			w.stopOnce.Do(func() { close(w.stopped) })
			return nil
		}
		select {
		case <-w.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.stopping = true
	w.lifeMu.Unlock()

	w.stopFetch(taskq.ErrShutdown)
	w.fetchWG.Wait() // fetchers hand every leased task to a runner or back
	close(w.jobs)

	done := make(chan struct{})
	go func() { w.runWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		w.log.WarnContext(ctx, "stop timeout: cancelling running handlers and giving their tasks back")
		w.held.killAll(taskq.ErrShutdown)
		<-done
	}
	w.stopBg()
	w.bgWG.Wait()
	close(w.acks)
	w.ackWG.Wait()
	w.stopOnce.Do(func() { close(w.stopped) })
	w.log.Info("worker stopped")
	return err
}

// Stopped is closed once Stop has finished.
func (w *Worker) Stopped() <-chan struct{} { return w.stopped }

// heldSet tracks the leases this worker holds, for heartbeats. Each lease
// has its own entry: an id requeued and leased again while the previous
// attempt is still being recorded gets a new entry, which the old attempt's
// removal leaves alone.
type heldSet struct {
	mu     sync.Mutex
	m      map[string]*heldLease
	killed error // set by killAll: handlers starting later are cancelled at once
}

// heldLease is one lease held by this worker.
type heldLease struct {
	queue  string
	cancel context.CancelCauseFunc // the running handler's, once started
	lost   bool                    // found lost before its handler started
}

func (h *heldSet) addAll(queue string, ids []string) []*heldLease {
	out := make([]*heldLease, len(ids))
	h.mu.Lock()
	for i, id := range ids {
		out[i] = &heldLease{queue: queue}
		h.m[id] = out[i]
	}
	h.mu.Unlock()
	return out
}

// setCancel registers the cancel function of a starting handler; it
// returns false when the lease was already found lost. After killAll the
// handler's context is cancelled at once.
func (h *heldSet) setCancel(l *heldLease, c context.CancelCauseFunc) bool {
	h.mu.Lock()
	if l.lost {
		h.mu.Unlock()
		return false
	}
	l.cancel = c
	killed := h.killed
	h.mu.Unlock()
	if killed != nil {
		c(killed)
	}
	return true
}

// killAll cancels every running handler with cause, and every handler
// that starts afterwards. Handler contexts do not descend from one shared
// parent context: registering thousands of children a second with one
// parent would serialise the runners on its lock.
func (h *heldSet) killAll(cause error) {
	h.mu.Lock()
	h.killed = cause
	var cs []context.CancelCauseFunc
	for _, l := range h.m {
		if l.cancel != nil {
			cs = append(cs, l.cancel)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c(cause)
	}
}

// remove forgets lease l of id, unless id is held by a newer lease.
func (h *heldSet) remove(id string, l *heldLease) {
	h.mu.Lock()
	if h.m[id] == l {
		delete(h.m, id)
	}
	h.mu.Unlock()
}

func (h *heldSet) byQueue() map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for id, l := range h.m {
		out[l.queue] = append(out[l.queue], id)
	}
	return out
}

// lose cancels the handler of a lease that is no longer ours, or marks it
// so that its handler does not start.
func (h *heldSet) lose(id string) {
	h.mu.Lock()
	l := h.m[id]
	var c context.CancelCauseFunc
	if l != nil {
		if c = l.cancel; c == nil {
			l.lost = true
		}
	}
	h.mu.Unlock()
	if c != nil {
		c(taskq.ErrLeaseLost)
	}
}

func (w *Worker) now() time.Time { return w.cfg.Now().UTC() }
