package dlq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

var _ taskq.DeadLetterQueue = (*DLQ)(nil)

// Options are the collaborators of a DLQ besides its storage and queue.
type Options struct {
	// Observer receives moves and cleanups (metrics). Nil: none.
	Observer taskq.Observer
	// Logger receives logs. Nil: discarded.
	Logger *slog.Logger
	// Now returns the current time (tests). Nil: time.Now.
	Now func() time.Time
}

// DLQ is the dead letter queue. It is safe for concurrent use.
type DLQ struct {
	store taskq.StorageAdapter
	queue taskq.Queue
	cfg   taskq.DeadLetterQueueConfig
	obs   taskq.Observer
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
}

// New returns a DLQ; cfg's zero fields take the defaults of
// taskq.DeadLetterQueueConfig.
func New(store taskq.StorageAdapter, queue taskq.Queue, cfg taskq.DeadLetterQueueConfig, opts Options) (*DLQ, error) {
	if store == nil {
		return nil, errors.New("dlq: New needs a taskq.StorageAdapter")
	}
	if queue == nil {
		return nil, errors.New("dlq: New needs a taskq.Queue (DLQ retries enqueue tasks again)")
	}
	cfg = cfg.WithDefaults()
	if cfg.RetryLimit < 0 {
		return nil, fmt.Errorf("dlq: RetryLimit %d must not be negative", cfg.RetryLimit)
	}
	d := &DLQ{store: store, queue: queue, cfg: cfg, obs: opts.Observer, log: opts.Logger, now: opts.Now}
	if d.obs == nil {
		d.obs = taskq.NopObserver{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("component", "dlq")
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// Config returns the effective configuration.
func (d *DLQ) Config() taskq.DeadLetterQueueConfig { return d.cfg }

// Move stores t as dead_letter with cause as its error; beyond MaxSize
// entries are purged in the same storage step (the oldest of the owner
// holding the most entries, see taskq.StorageAdapter). Whose entries were
// evicted goes to an Observer implementing taskq.EvictionObserver when the
// storage implements taskq.DeadLetterEvictions. The caller still
// acknowledges the task's lease.
func (d *DLQ) Move(ctx context.Context, t *taskq.Task, cause error) error {
	now := d.now().UTC()
	t.Status = taskq.StatusDeadLetter
	if cause != nil {
		t.Error = taskq.TaskErrorFrom(cause)
	}
	t.DeadLetteredAt = &now
	t.CompletedAt = &now
	t.Updated = now
	maxSize := d.cfg.MaxSize
	if maxSize < 0 {
		maxSize = 0
	}
	evicted, err := d.store.MoveTaskToDeadLetter(ctx, t, maxSize)
	if err != nil {
		return err
	}
	if evicted > 0 {
		d.log.InfoContext(ctx, "dead letter queue full: entries evicted", "evicted", evicted, "max_size", d.cfg.MaxSize)
		d.reportEvictions(ctx)
	}
	d.obs.DeadLetterMoved(evicted)
	return nil
}

// reportEvictions passes whose entries the size cap evicted to the
// observer, when both the storage and the observer support it.
func (d *DLQ) reportEvictions(ctx context.Context) {
	ev, ok := d.store.(taskq.DeadLetterEvictions)
	if !ok {
		return
	}
	by := ev.TakeDeadLetterEvictions()
	eo, _ := d.obs.(taskq.EvictionObserver)
	for owner, n := range by {
		d.log.InfoContext(ctx, "dead letter entries evicted", "owner", owner, "evicted", n)
		if eo != nil {
			eo.DeadLetterEvicted(owner, n)
		}
	}
}

// List lists entries, oldest entry first.
func (d *DLQ) List(ctx context.Context, f taskq.DeadLetterFilter) (taskq.TaskPage, error) {
	return d.store.GetDeadLetterTasks(ctx, f)
}

// Get returns an entry, or an error matching taskq.ErrNotFound.
func (d *DLQ) Get(ctx context.Context, id string) (*taskq.Task, error) {
	return d.store.GetDeadLetterTask(ctx, id)
}

// Retry sends an entry back to pending with retry_count 0, to run after the
// DLQ backoff (Backoff doubled for each earlier DLQ retry of the task). Past
// RetryLimit, or past the task's deadline, it fails with an error matching
// taskq.ErrConflict.
func (d *DLQ) Retry(ctx context.Context, id string) (*taskq.Task, error) {
	t, err := d.store.GetDeadLetterTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.DLQRetryCount >= d.cfg.RetryLimit {
		return nil, &taskq.Error{Code: taskq.CodeConflict,
			Message: fmt.Sprintf("DLQ retry limit reached (%d of %d)", t.DLQRetryCount, d.cfg.RetryLimit)}
	}
	now := d.now().UTC()
	if t.Deadline != nil && !now.Before(*t.Deadline) {
		return nil, &taskq.Error{Code: taskq.CodeConflict, Message: "the task's deadline has passed"}
	}
	t.DLQRetryCount++
	t.RetryCount = 0
	t.Status = taskq.StatusPending
	t.DeadLetteredAt = nil
	t.CompletedAt = nil
	t.RunAt = now.Add(d.cfg.RetryBackoff(t.DLQRetryCount))
	t.Updated = now
	if err := d.store.UpdateTask(ctx, t, taskq.StatusDeadLetter); err != nil {
		if errors.Is(err, taskq.ErrConflict) {
			return nil, &taskq.Error{Code: taskq.CodeNotFound, Message: "task is no longer in the dead letter queue", Err: err}
		}
		return nil, err
	}
	// A failure here leaves a pending record that the worker's reconciler
	// pushes again.
	if err := d.queue.Enqueue(ctx, t.Queue, taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: t.RunAt, Type: t.Type, Owner: t.Owner}); err != nil {
		d.log.WarnContext(ctx, "DLQ retry recorded but not queued; the reconciler will push it", "task_id", t.ID, "error", err)
	}
	return t, nil
}

// Remove purges an entry, or returns an error matching taskq.ErrNotFound.
func (d *DLQ) Remove(ctx context.Context, id string) error {
	return d.store.RemoveFromDeadLetter(ctx, id)
}

// Size returns the number of entries.
func (d *DLQ) Size(ctx context.Context) (int, error) {
	return d.store.CountDeadLetterTasks(ctx)
}

// Cleanup purges entries that entered the DLQ before olderThan (zero:
// now minus the retention period) and reports how many were purged and
// how many remain.
func (d *DLQ) Cleanup(ctx context.Context, olderThan time.Time) (taskq.CleanupResult, error) {
	if olderThan.IsZero() {
		olderThan = d.now().Add(-d.cfg.RetentionPeriod)
	}
	start := time.Now()
	var res taskq.CleanupResult
	n, err := d.store.CleanupDeadLetterTasks(ctx, olderThan)
	if err == nil {
		res.Cleaned = n
		res.Remaining, err = d.store.CountDeadLetterTasks(ctx)
	}
	d.obs.DeadLetterCleanup(res.Cleaned, res.Remaining, time.Since(start), err)
	if err != nil {
		return res, err
	}
	if n > 0 {
		d.log.InfoContext(ctx, "dead letter cleanup", "cleaned", n, "remaining", res.Remaining)
	}
	return res, nil
}

// Start runs the retention cleanup job every CleanupInterval until Stop.
// It returns at once; a second Start is a no-op.
func (d *DLQ) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	jobCtx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done, d.running = cancel, make(chan struct{}), true
	go func(done chan struct{}) {
		defer close(done)
		d.RunCleanup(jobCtx)
	}(d.done)
	return nil
}

// Stop ends the cleanup job and waits for it, or for ctx.
func (d *DLQ) Stop(ctx context.Context) error {
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		return nil
	}
	d.running = false
	cancel, done := d.cancel, d.done
	d.mu.Unlock()
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunCleanup runs the retention cleanup every CleanupInterval until ctx
// ends: the job Start runs in the background, for a caller that decides
// where it runs (a worker runs its own dead letter queue's cleanup only
// while elected for maintenance; see worker.Config.Elector).
func (d *DLQ) RunCleanup(ctx context.Context) {
	tick := time.NewTicker(d.cfg.CleanupInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := d.Cleanup(ctx, time.Time{}); err != nil && ctx.Err() == nil {
			d.log.WarnContext(ctx, "dead letter cleanup failed", "error", err)
		}
	}
}
