package worker

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/leader"
)

// DefaultTaskRetention is the default of Config.TaskRetention.
const DefaultTaskRetention = 7 * 24 * time.Hour

// Config configures a Worker. The zero value works; each field names its
// default.
type Config struct {
	// Queues are the queue names served. Default ["default"].
	Queues []string
	// Concurrency is how many handlers run at once. Default 32.
	Concurrency int
	// Prefetch is how many tasks may be leased beyond those running, so
	// that leases come in larger batches (one lease call and one durable
	// start write per batch) and the next tasks wait locally, their leases
	// extended like the running ones'. Default Concurrency; negative: none.
	Prefetch int
	// Fetchers is how many lease loops run per queue. Default 1, which
	// keeps strict priority order inside the worker; more let lease calls
	// overlap on high-latency backends.
	Fetchers int
	// Weights switches leasing from strict priority order to weighted
	// shares, indexed by TaskPriority (e.g. []int{1, 2, 4, 8}). Nil: strict.
	Weights []int
	// PrefetchWait is how long a prefetched task may wait for a handler
	// slot; past it (or when its lease is about to expire by this worker's
	// clock) it is given back to the queue, without using a retry, for
	// another worker to take. Default 5s.
	PrefetchWait time.Duration
	// LeaseTTL is how long a lease lasts without a heartbeat. It must be
	// at least 10 heartbeats plus MaxClockSkew (New fails otherwise).
	// Default 30s.
	LeaseTTL time.Duration
	// HeartbeatInterval is how often leases of running tasks are extended
	// and their records checked for cancellation. Default 1s, or a tenth
	// of LeaseTTL minus MaxClockSkew when that is shorter (a cancellation
	// reaches a running handler within this time).
	HeartbeatInterval time.Duration
	// MaxClockSkew is the clock difference between the processes sharing
	// the backends that leases must tolerate. A worker stops a handler
	// (context cause taskq.ErrLeaseLost) and records nothing once no
	// heartbeat succeeded for LeaseTTL minus MaxClockSkew minus one
	// heartbeat, measured on its own monotonic clock, because another
	// worker may then take the task. The Redis and PostgreSQL queues time
	// leases on the server's clock, where skew between workers does not
	// matter; set it when a queue uses the processes' clocks (such as
	// redisqueue.Config.Now). Default 0.
	MaxClockSkew time.Duration
	// ReapInterval is how often expired leases of lost workers are taken
	// back. Default 5s.
	ReapInterval time.Duration
	// ReconcileInterval is how often records that should be queued are
	// pushed again (idempotently). Default 1m; negative disables.
	ReconcileInterval time.Duration
	// ReconcileAfter is how long a record must be unchanged before the
	// reconciler pushes it. Default 1m.
	ReconcileAfter time.Duration
	// Elector, when set, elects one worker among those sharing the
	// backends to run the maintenance loops: the reaper, the reconciler,
	// the retention of finished tasks (TaskRetention), the cleanup of the
	// worker's own dead letter queue and Maintenance. The worker runs the
	// elector (Elector.Run) from Start to Stop, so give each worker its own
	// elector, with the same name on a store every worker shares (package
	// leader: leader/redisleader, leader/pgleader). The loops run while
	// the worker leads and stop when leadership ends; a new leader's first
	// reap and retention passes run at once. A leader that dies is
	// replaced within the elector's TTL plus its RetryInterval (13.3s with
	// the defaults, see package leader); its tasks are then reaped once
	// their leases expire (LeaseTTL after its last heartbeat). Nil: every
	// worker runs the loops (a single worker, or replicas that accept the
	// repeated scans).
	Elector *leader.Elector
	// TaskRetention is how long completed and cancelled records are kept
	// after they finish: older ones are deleted in batches every
	// RetentionInterval by the storage's taskq.FinishedDeleter (every
	// storage of this module has one). Default 7 days; negative keeps
	// them forever. Dead letter entries have their own retention
	// (DeadLetterConfig).
	TaskRetention time.Duration
	// RetentionInterval is how often finished records past TaskRetention
	// are deleted. Default 1m.
	RetentionInterval time.Duration
	// Maintenance, when set, runs with the maintenance loops (while this
	// worker leads, with Elector) and must return once its context ends:
	// a place for other jobs that must run in one process at a time, such
	// as the cleanup of a dead letter queue given in DeadLetter
	// (dlq.DLQ.RunCleanup).
	Maintenance func(ctx context.Context)
	// NoOutboxRelay keeps the worker from running the storage's outbox
	// relay (taskq.OutboxRelay: storage/postgres pushes the tasks created
	// inside its users' transactions to the queue once they commit). By
	// default every worker runs one and they share the work; set this
	// where another process runs it (or the reconciler's delay is enough).
	NoOutboxRelay bool
	// DefaultTimeout bounds an attempt of a task without its own timeout
	// nor a task type timeout. Default 30m.
	DefaultTimeout time.Duration
	// RetryBaseDelay is the backoff before the first retry; it doubles with
	// each retry, with jitter. Default 1s.
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps the backoff. Default 1h.
	RetryMaxDelay time.Duration
	// PollInterval bounds how long the fetcher waits for a queue
	// notification before looking again. Default 1s.
	PollInterval time.Duration
	// ProgressInterval is the least time between two writes of one
	// attempt's progress (taskq.ReportProgress): reports in between are
	// coalesced, the latest written when the interval has passed, and the
	// last one is written before the attempt's outcome. Default 1s;
	// negative: progress is not stored (ReportProgress does nothing).
	ProgressInterval time.Duration
	// Limits caps leases cluster-wide: per queue and per task type
	// concurrency, and start rates per type (see taskq.Limits). The queue
	// backend enforces them when it leases, against counts shared by every
	// worker of the backend, so give every worker the same Limits. A task
	// over a cap stays queued, in its place, without using a retry. Nil:
	// no caps.
	Limits *taskq.Limits
	// LimitPoll is how long a fetcher whose queue has ready tasks that the
	// Limits hold back waits before looking again (slots freed by other
	// workers are not announced). Default 100ms.
	LimitPoll time.Duration
	// DeadLetter receives failed tasks. Nil: a dlq.DLQ over the worker's
	// storage and queue configured by DeadLetterConfig, whose retention
	// cleanup job runs with the worker's maintenance loops (see Elector).
	// A DeadLetter given here belongs to the caller: the worker only calls
	// Move, and never starts or stops it, so run its cleanup yourself
	// (dlq.DLQ.Start and Stop, or dlq.DLQ.RunCleanup in Maintenance), once
	// however many workers share it.
	DeadLetter taskq.DeadLetterQueue
	// DeadLetterConfig configures the dead letter queue the worker builds
	// when DeadLetter is nil (size cap, retention, cleanup interval); zero
	// fields take the defaults of taskq.DeadLetterQueueConfig. Ignored
	// when DeadLetter is set.
	DeadLetterConfig taskq.DeadLetterQueueConfig
	// UnhandledGrace is how long after its creation a task whose type has
	// no handler on this worker is put back (without using a retry, with
	// a WARN log and Observer.TaskUnhandled) in case a worker that handles
	// it takes it, as during a rolling deploy; past it the task fails for
	// good ("no handler registered for type X") into the dead letter
	// queue. Measured from Task.Created, the same on every worker and
	// across restarts. Default 5m; negative: fail at once.
	UnhandledGrace time.Duration
	// Breakers gates task types that declare Dependencies. Nil: no gating.
	Breakers Breakers
	// Observer receives events (metrics). Nil: none.
	Observer taskq.Observer
	// Tracer traces each attempt as a child of the trace stored with the
	// task at enqueue (see package taskqotel); the handler's ctx carries
	// the attempt's span. Nil: no tracing.
	Tracer taskq.Tracer
	// Logger receives logs. Nil: discarded.
	Logger *slog.Logger
	// Now returns the current time (tests). Nil: time.Now.
	Now func() time.Time
}

// TypeConfig configures one task type.
type TypeConfig struct {
	// Timeout bounds each attempt of tasks of this type that carry no
	// timeout of their own. Zero: Config.DefaultTimeout.
	Timeout time.Duration
	// Backoff, when set, returns the delay before retry number n (1-based)
	// after err, replacing the exponential default.
	Backoff func(n int, err error) time.Duration
	// Dependencies name circuit breakers this type needs: while one is
	// open, its tasks are rescheduled without using a retry.
	Dependencies []string
}

// Breakers is what the worker needs of circuit breakers; the breaker
// package's Registry provides it.
type Breakers interface {
	// Allow reports whether calls to the named dependency are permitted
	// now and, if not, how long until they may be.
	Allow(name string) (ok bool, retryAfter time.Duration)
	// OpenError reports whether err says a breaker was open (the call was
	// not made) and how long until it may half-open. Such a failure puts
	// the task back without using a retry.
	OpenError(err error) (retryAfter time.Duration, ok bool)
}

// runners is how many goroutines run jobs: Concurrency of them run
// handlers at once (the fetcher hands out that many slots) and the others
// record outcomes meanwhile, so writes waiting for a group commit of a
// durable backend do not hold handlers back.
func (c Config) runners() int { return c.Concurrency + c.Prefetch + max(16, 2*c.Concurrency) }

func (c Config) withDefaults() Config {
	if len(c.Queues) == 0 {
		c.Queues = []string{taskq.DefaultQueue}
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.Prefetch == 0 {
		c.Prefetch = c.Concurrency
	} else if c.Prefetch < 0 {
		c.Prefetch = 0
	}
	if c.Fetchers <= 0 {
		c.Fetchers = 1
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.MaxClockSkew < 0 {
		c.MaxClockSkew = 0
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = max(time.Millisecond, min(time.Second, (c.LeaseTTL-c.MaxClockSkew)/minHeartbeats))
	}
	if c.PrefetchWait <= 0 {
		c.PrefetchWait = 5 * time.Second
	}
	if c.ReapInterval <= 0 {
		c.ReapInterval = min(5*time.Second, c.LeaseTTL)
	}
	if c.ReconcileInterval == 0 {
		c.ReconcileInterval = time.Minute
	}
	if c.TaskRetention == 0 {
		c.TaskRetention = DefaultTaskRetention
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = time.Minute
	}
	if c.ReconcileAfter <= 0 {
		c.ReconcileAfter = time.Minute
	}
	if c.UnhandledGrace == 0 {
		c.UnhandledGrace = 5 * time.Minute
	}
	if c.DefaultTimeout <= 0 {
		c.DefaultTimeout = 30 * time.Minute
	}
	if c.RetryBaseDelay <= 0 {
		c.RetryBaseDelay = time.Second
	}
	if c.RetryMaxDelay <= 0 {
		c.RetryMaxDelay = time.Hour
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.LimitPoll <= 0 {
		c.LimitPoll = 100 * time.Millisecond
	}
	if c.Observer == nil {
		c.Observer = taskq.NopObserver{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// minHeartbeats is how many heartbeats a lease must last at least, beyond
// the tolerated clock skew.
const minHeartbeats = 10

// validate checks a Config with its defaults.
func (c Config) validate() error {
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	if need := minHeartbeats*c.HeartbeatInterval + c.MaxClockSkew; c.LeaseTTL < need {
		return fmt.Errorf("worker: LeaseTTL %s is too short: it must be at least %d heartbeats (HeartbeatInterval %s) plus MaxClockSkew %s, that is %s",
			c.LeaseTTL, minHeartbeats, c.HeartbeatInterval, c.MaxClockSkew, need)
	}
	return nil
}

// fenceMargin is how long before a lease's deadline (counted from the
// start of the call that set it) the worker considers it lost: the clock
// skew it tolerates plus one heartbeat, the time its fence check may lag.
func (c Config) fenceMargin() time.Duration { return c.MaxClockSkew + c.HeartbeatInterval }

// Backoff returns the default delay before retry n (1-based): base doubled
// n-1 times, capped at max, with "equal jitter" (between half and all of
// it) so that retries of many tasks spread out.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
