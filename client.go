package taskq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ClientConfig configures a Client. The zero value works.
type ClientConfig struct {
	// DefaultQueue is used when WithQueue is not given. Default "default".
	DefaultQueue string
	// DefaultMaxRetries applies when WithMaxRetries is not given. Default 3;
	// set NoRetries for none.
	DefaultMaxRetries int
	// NoRetries makes the default max retries 0.
	NoRetries bool
	// MaxScheduleAhead bounds how far ahead a task may be scheduled (its
	// run_at): a task meant to run later is refused with a validation
	// error, so that no one fills the storage with tasks for the next
	// century. Default 10 years (DefaultMaxScheduleAhead); negative: no
	// bound beyond the year 9999.
	MaxScheduleAhead time.Duration
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// Tracer traces enqueues and stores their trace context with the
	// tasks (see package taskqotel); nil: no tracing.
	Tracer Tracer
	// Now returns the current time (tests); nil means time.Now.
	Now func() time.Time
	// BackgroundPush makes Enqueue, EnqueueTask, EnqueueArgs and
	// EnqueueMany return once the records are stored, and push the tasks'
	// queue entries from a background goroutine: one Queue call per queue
	// for the entries of every enqueue made while the previous push was in
	// flight. An enqueue then costs its storage write alone (with Redis
	// dispatch and PostgreSQL records, one commit instead of a commit and
	// a Redis round trip), and its error always means "not stored": a push
	// that fails is tried again (four tries over about two seconds), then
	// logged and left to the worker's reconciler, which pushes stored
	// pending tasks it finds unqueued (Worker ReconcileAfter and
	// ReconcileInterval, a minute each by default). The cost: a task is
	// dispatchable a moment after its enqueue returns rather than when it
	// returns, and if the process dies in that moment, only after the
	// reconciler's next pass. Cancel drops the entry of a task still
	// waiting for its push. Call Flush before the process exits. It has
	// no effect when the storage writes the entries itself (a Dispatcher:
	// PostgreSQL alone, Redis alone).
	BackgroundPush bool
}

// DefaultMaxRetries is the max retries of a task enqueued without
// WithMaxRetries.
const DefaultMaxRetries = 3

// DefaultMaxScheduleAhead is ClientConfig.MaxScheduleAhead's default.
const DefaultMaxScheduleAhead = 10 * 365 * 24 * time.Hour

// Client creates, reads and cancels tasks: it writes the record to the
// StorageAdapter, then pushes the id on the Queue (before the enqueue
// returns, or right after with ClientConfig.BackgroundPush; not at all when
// the storage writes queue entries itself, see Dispatcher). It is safe for
// concurrent use.
type Client struct {
	store StorageAdapter
	queue Queue
	cfg   ClientConfig
	log   *slog.Logger
	bound binder
	// dispatched is set when the storage writes the queue entries of the
	// tasks it creates into queue itself (Dispatcher).
	dispatched bool
	// pushes, with BackgroundPush, pushes the entries of stored tasks.
	pushes *pusher
}

// NewClient returns a Client over store and queue.
func NewClient(store StorageAdapter, queue Queue, cfg ClientConfig) (*Client, error) {
	if store == nil {
		return nil, errors.New("taskq: NewClient needs a StorageAdapter (e.g. storage.NewMemory())")
	}
	if queue == nil {
		return nil, errors.New("taskq: NewClient needs a Queue (e.g. queue.NewMemory())")
	}
	if cfg.DefaultQueue == "" {
		cfg.DefaultQueue = DefaultQueue
	}
	if cfg.DefaultMaxRetries == 0 && !cfg.NoRetries {
		cfg.DefaultMaxRetries = DefaultMaxRetries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxScheduleAhead == 0 {
		cfg.MaxScheduleAhead = DefaultMaxScheduleAhead
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, _ := store.(Dispatcher)
	c := &Client{store: store, queue: queue, cfg: cfg, log: log.With("component", "client"),
		dispatched: d != nil && d.Dispatches(queue)}
	if cfg.BackgroundPush && !c.dispatched {
		c.pushes = newPusher(queue, c.log)
	}
	return c, nil
}

// Flush waits until the queue entries of the tasks enqueued before the call
// have been pushed (or, after failed tries, left to the reconciler), or
// until ctx ends. It returns at once without ClientConfig.BackgroundPush.
// Call it before the process exits, so that the tasks just enqueued are
// dispatched at once rather than by the next process's reconciler.
func (c *Client) Flush(ctx context.Context) error {
	if c.pushes == nil {
		return nil
	}
	return c.pushes.flush(ctx)
}

// EnqueueRequest is one task of EnqueueMany: Args, or Type and Metadata.
type EnqueueRequest struct {
	// Args is the typed input; when set, its Kind is the type and its
	// JSON form the metadata, and Type and Metadata must be empty.
	Args Args
	// Type selects the handler.
	Type string
	// Metadata is the task input.
	Metadata map[string]any
	// Options are the per-task options.
	Options []EnqueueOption
}

// NewArgsTask builds and validates the record of a typed task without
// storing it. A UniqueArgs is unique by default (see UniqueArgs).
func (c *Client) NewArgsTask(args Args, opts ...EnqueueOption) (*Task, error) {
	m, err := argsMetadata(args)
	if err != nil {
		return nil, err
	}
	if u, ok := args.(UniqueArgs); ok {
		opts = append([]EnqueueOption{WithUnique(u.Unique())}, opts...)
	}
	return c.NewTask(args.Kind(), m, opts...)
}

// EnqueueArgs creates a typed task: its type is args.Kind() and its
// metadata the JSON object of args (see Args).
func (c *Client) EnqueueArgs(ctx context.Context, args Args, opts ...EnqueueOption) (*Task, error) {
	t, err := c.NewArgsTask(args, opts...)
	if err != nil {
		return nil, err
	}
	return c.EnqueueTask(ctx, t)
}

// NewTask builds and validates a task record without storing it.
func (c *Client) NewTask(taskType string, metadata map[string]any, opts ...EnqueueOption) (*Task, error) {
	var o enqueueOptions
	for _, opt := range opts {
		opt(&o)
	}
	now := c.cfg.Now().UTC()
	t := &Task{
		ID:             NewID(),
		Type:           taskType,
		Status:         StatusPending,
		Priority:       PriorityMedium,
		Description:    o.description,
		Created:        now,
		Updated:        now,
		MaxRetries:     c.cfg.DefaultMaxRetries,
		Metadata:       metadata,
		Queue:          o.queue,
		RunAt:          now,
		Timeout:        o.timeout,
		Owner:          o.owner,
		IdempotencyKey: o.idempotencyKey,
	}
	if md, ok := normalizeFast(t.Metadata); ok {
		t.Metadata = md
	} else if md, _, err := NormalizeMetadata(t.Metadata); err != nil {
		return nil, &Error{Code: CodeValidation, Message: "metadata must be encodable as JSON", Err: err,
			Details: []FieldError{{Field: "metadata", Message: "must be encodable as JSON"}}}
	} else {
		t.Metadata = md
	}
	if t.Queue == "" {
		t.Queue = c.cfg.DefaultQueue
	}
	if o.priority != nil {
		t.Priority = *o.priority
	}
	if o.maxRetries != nil {
		t.MaxRetries = *o.maxRetries
	}
	if o.deadline != nil {
		d := o.deadline.UTC()
		t.Deadline = &d
	}
	if !o.runAt.IsZero() {
		t.RunAt = o.runAt.UTC()
	} else if o.delay > 0 {
		t.RunAt = now.Add(o.delay)
	}
	if err := ValidateTask(t, now); err != nil {
		return nil, err
	}
	if o.unique != nil {
		if d := applyUnique(t, o.unique); len(d) > 0 {
			return nil, &Error{Code: CodeValidation, Message: d[0].Field + " " + d[0].Message, Details: d}
		}
	}
	if ahead := c.cfg.MaxScheduleAhead; ahead > 0 && t.RunAt.Sub(now) > ahead {
		msg := "must be at most " + ahead.String() + " ahead"
		return nil, &Error{Code: CodeValidation, Message: "run_at " + msg,
			Details: []FieldError{{Field: "run_at", Message: msg}}}
	}
	return t, nil
}

// Enqueue creates a task and pushes it on its queue. With an idempotency key
// already used by the same owner it returns the existing task and an error
// matching ErrDuplicate; so does a unique task (WithUnique) whose key an
// existing task holds, with an error matching ErrUniqueExists as well.
func (c *Client) Enqueue(ctx context.Context, taskType string, metadata map[string]any, opts ...EnqueueOption) (*Task, error) {
	t, err := c.NewTask(taskType, metadata, opts...)
	if err != nil {
		return nil, err
	}
	return c.EnqueueTask(ctx, t)
}

// EnqueueTask stores and pushes a task built by NewTask.
func (c *Client) EnqueueTask(ctx context.Context, t *Task) (_ *Task, err error) {
	if c.cfg.Tracer != nil {
		var end func(error)
		ctx, end = c.cfg.Tracer.StartEnqueue(ctx, []*Task{t})
		defer func() { end(err) }()
	}
	if err := c.bound.check(ctx, c.store, c.queue); err != nil {
		return nil, err
	}
	existing, err := c.store.CreateTask(ctx, t)
	if err != nil {
		if existing != nil && errors.Is(err, ErrDuplicate) {
			return existing, err
		}
		return nil, err
	}
	if c.dispatched {
		return t, nil // the entry was written with the record
	}
	if c.pushes != nil {
		c.pushes.add(t.Queue, queueEntry(t))
		return t, nil
	}
	// A failure here leaves a pending record that the worker's reconciler
	// pushes again, so the task is not lost; the caller still hears of it.
	if err := c.queue.Enqueue(ctx, t.Queue, queueEntry(t)); err != nil {
		c.log.WarnContext(ctx, "task stored but not queued; the reconciler will push it", "task_id", t.ID, "error", err)
		return t, err
	}
	return t, nil
}

// EnqueueMany creates many tasks in one storage step and pushes them with one
// queue call per queue. It is all or nothing for the records.
func (c *Client) EnqueueMany(ctx context.Context, reqs []EnqueueRequest) (_ []*Task, err error) {
	if err := c.bound.check(ctx, c.store, c.queue); err != nil {
		return nil, err
	}
	tasks := make([]*Task, len(reqs))
	for i, r := range reqs {
		var t *Task
		var err error
		switch {
		case r.Args != nil && (r.Type != "" || r.Metadata != nil):
			err = &Error{Code: CodeValidation, Message: fmt.Sprintf("request %d: Args excludes Type and Metadata", i)}
		case r.Args != nil:
			t, err = c.NewArgsTask(r.Args, r.Options...)
		default:
			t, err = c.NewTask(r.Type, r.Metadata, r.Options...)
		}
		if err != nil {
			return nil, err
		}
		tasks[i] = t
	}
	if c.cfg.Tracer != nil {
		var end func(error)
		ctx, end = c.cfg.Tracer.StartEnqueue(ctx, tasks)
		defer func() { end(err) }()
	}
	if err := c.store.CreateTasks(ctx, tasks); err != nil {
		return nil, err
	}
	if c.dispatched {
		return tasks, nil
	}
	byQueue := map[string][]QueueEntry{}
	for _, t := range tasks {
		byQueue[t.Queue] = append(byQueue[t.Queue], queueEntry(t))
	}
	if c.pushes != nil {
		for q, entries := range byQueue {
			c.pushes.add(q, entries...)
		}
		return tasks, nil
	}
	for q, entries := range byQueue {
		if err := c.queue.Enqueue(ctx, q, entries...); err != nil {
			return tasks, err
		}
	}
	return tasks, nil
}

// Get returns a task by id.
func (c *Client) Get(ctx context.Context, id string) (*Task, error) {
	return c.store.GetTask(ctx, id)
}

// List lists tasks newest first.
func (c *Client) List(ctx context.Context, f TaskFilter) (TaskPage, error) {
	return c.store.ListTasks(ctx, f)
}

// Cancel cancels a task that is not terminal: its record becomes cancelled
// and its id leaves the queue; a running handler sees its context cancelled
// at the holder's next lease heartbeat. A terminal task gives the task and an
// error matching ErrConflict.
func (c *Client) Cancel(ctx context.Context, id string) (*Task, error) {
	for range 10 {
		t, err := c.store.GetTask(ctx, id)
		if err != nil {
			return nil, err
		}
		if t.Status.Terminal() {
			return t, &Error{Code: CodeConflict, Message: "task is already " + string(t.Status)}
		}
		prev := t.Status
		now := c.cfg.Now().UTC()
		t.Status = StatusCancelled
		t.Updated = now
		t.CompletedAt = &now
		t.Error = &TaskError{Code: CodeTaskCancelled, Message: "cancelled by request"}
		if err := c.store.UpdateTask(ctx, t, prev); err != nil {
			if errors.Is(err, ErrConflict) {
				continue // the status moved meanwhile; look again
			}
			return nil, err
		}
		if c.pushes != nil {
			c.pushes.forget(t.Queue, t.ID)
		}
		if err := c.queue.Remove(ctx, t.Queue, t.ID); err != nil {
			c.log.WarnContext(ctx, "task cancelled but still queued; workers will skip it", "task_id", t.ID, "error", err)
		}
		return t, nil
	}
	return nil, &Error{Code: CodeConflict, Message: "task status keeps changing; try again"}
}

// queueEntry is the dispatch entry of a new task. A task to run at once
// carries no run-at, so that the queue makes it ready by its own clock: a
// producer whose clock runs ahead must not delay it.
func queueEntry(t *Task) QueueEntry {
	e := QueueEntry{ID: t.ID, Priority: t.Priority, Type: t.Type, Owner: t.Owner}
	if t.RunAt.After(t.Created) {
		e.RunAt = t.RunAt
	}
	return e
}
