package taskqtest

import (
	"context"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// Engine is an in-memory taskq for one test: a Client and a started Worker
// over a memory storage and queue.
type Engine struct {
	// Client enqueues, reads and cancels tasks.
	Client *taskq.Client
	// Worker runs the handlers; it is started by New and stopped when the
	// test ends. Register handlers on it before enqueueing.
	Worker *worker.Worker
	// Store holds the task records.
	Store *storage.Memory
	// Queue holds the dispatch state.
	Queue *queue.Memory

	t       TB
	queues  []string
	timeout time.Duration
}

// Option configures New.
type Option func(*settings)

type settings struct {
	worker  worker.Config
	client  taskq.ClientConfig
	timeout time.Duration
}

// WithWorkerConfig sets the worker's configuration. Its zero interval
// fields take New's short test values rather than the worker's defaults.
func WithWorkerConfig(cfg worker.Config) Option {
	return func(s *settings) { s.worker = cfg }
}

// WithClientConfig sets the client's configuration.
func WithClientConfig(cfg taskq.ClientConfig) Option {
	return func(s *settings) { s.client = cfg }
}

// WithTimeout sets how long WaitIdle and WaitStatus wait before failing
// the test. Default DefaultTimeout, shortened to end before the test's
// deadline (go test -timeout) when it has one.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) { s.timeout = d }
}

// DefaultTimeout is how long WaitIdle and WaitStatus wait by default.
const DefaultTimeout = 30 * time.Second

// stopTimeout bounds the worker's graceful stop at the end of the test.
const stopTimeout = 10 * time.Second

// testConfig fills the zero fields of cfg with short test values: retries
// after about a millisecond, heartbeats (which carry cancellations to
// running handlers) every 10ms, reaping every 50ms, no reconciler.
func testConfig(cfg worker.Config) worker.Config {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = 10 * time.Millisecond
	}
	if cfg.ReapInterval == 0 {
		cfg.ReapInterval = 50 * time.Millisecond
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = time.Millisecond
	}
	if cfg.RetryMaxDelay == 0 {
		cfg.RetryMaxDelay = 10 * time.Millisecond
	}
	if cfg.ReconcileInterval == 0 {
		cfg.ReconcileInterval = -1
	}
	if len(cfg.Queues) == 0 {
		cfg.Queues = []string{taskq.DefaultQueue}
	}
	return cfg
}

// New returns a started in-memory engine with short timers (retries after
// about a millisecond, cancellations reaching handlers within 10ms). The
// worker is stopped gracefully when the test ends; a handler still
// running 10s later fails the test.
func New(t TB, opts ...Option) *Engine {
	t.Helper()
	var s settings
	for _, o := range opts {
		o(&s)
	}
	cfg := testConfig(s.worker)
	store, q := storage.NewMemory(), queue.NewMemory()
	c, err := taskq.NewClient(store, q, s.client)
	if err != nil {
		t.Fatalf("taskqtest: %v", err)
	}
	w, err := worker.New(store, q, cfg)
	if err != nil {
		t.Fatalf("taskqtest: %v", err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatalf("taskqtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("taskqtest: worker did not stop within %s (a handler ignores its context?): %v", stopTimeout, err)
		}
		_ = q.Close()
		_ = store.Close()
	})
	return &Engine{Client: c, Worker: w, Store: store, Queue: q, t: t, queues: cfg.Queues, timeout: s.timeout}
}
