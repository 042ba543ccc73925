package taskq

import "time"

// EnqueueOption sets a per-call option of Client.Enqueue.
type EnqueueOption func(*enqueueOptions)

type enqueueOptions struct {
	priority       *TaskPriority
	runAt          time.Time
	delay          time.Duration
	deadline       *time.Time
	maxRetries     *int
	timeout        time.Duration
	queue          string
	description    string
	idempotencyKey string
	owner          string
	unique         *UniqueOpts
	uniqueSet      bool // WithUnique or WithoutUnique was given
}

// WithPriority sets the priority (default MEDIUM).
func WithPriority(p TaskPriority) EnqueueOption {
	return func(o *enqueueOptions) { o.priority = &p }
}

// WithRunAt schedules the task to become ready at t.
func WithRunAt(t time.Time) EnqueueOption { return func(o *enqueueOptions) { o.runAt = t } }

// WithDelay schedules the task to become ready after d.
func WithDelay(d time.Duration) EnqueueOption { return func(o *enqueueOptions) { o.delay = d } }

// WithDeadline sets an absolute deadline: past it the task is not started
// again and goes to the dead letter queue with task_timeout.
func WithDeadline(t time.Time) EnqueueOption {
	return func(o *enqueueOptions) { o.deadline = &t }
}

// WithMaxRetries sets how many retries a failing task gets (0-100).
func WithMaxRetries(n int) EnqueueOption { return func(o *enqueueOptions) { o.maxRetries = &n } }

// WithTimeout bounds each attempt; an attempt over it fails with
// task_timeout (retryable).
func WithTimeout(d time.Duration) EnqueueOption { return func(o *enqueueOptions) { o.timeout = d } }

// WithQueue dispatches the task on the named queue (default "default").
func WithQueue(name string) EnqueueOption { return func(o *enqueueOptions) { o.queue = name } }

// WithDescription sets the free-text description.
func WithDescription(s string) EnqueueOption { return func(o *enqueueOptions) { o.description = s } }

// WithIdempotencyKey deduplicates creation: a second Enqueue with the same
// owner and key returns the first task and an error matching ErrDuplicate.
func WithIdempotencyKey(k string) EnqueueOption {
	return func(o *enqueueOptions) { o.idempotencyKey = k }
}

// WithOwner records the principal that owns the task.
func WithOwner(owner string) EnqueueOption { return func(o *enqueueOptions) { o.owner = owner } }
