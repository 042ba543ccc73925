package periodic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/leader"
)

// Elector runs lead while this replica is the leader; *leader.Elector
// implements it.
type Elector interface {
	Run(ctx context.Context, lead func(ctx context.Context, term leader.Term)) error
}

// Defaults of Config.
const (
	DefaultGrace          = 15 * time.Second
	DefaultRetryInterval  = time.Second
	DefaultReloadInterval = 5 * time.Second
)

// maxTicksPerStep bounds the ticks one schedule enqueues in one step.
const maxTicksPerStep = 1000

// Config configures a Scheduler.
type Config struct {
	// Client enqueues the tasks. Required.
	Client *taskq.Client
	// Elector decides which replica enqueues. Required; give every
	// replica an elector of the same name on a shared store.
	Elector Elector
	// Schedules are the periodic tasks; names must be distinct.
	Schedules []Schedule
	// Source, when set, adds the schedules it lists (a storage's
	// taskq.ScheduleStore), read at Run and every ReloadInterval on every
	// replica (see "Stored schedules" in the package documentation).
	Source Source
	// ReloadInterval is how often Source is read again. Default 5s.
	ReloadInterval time.Duration
	// Grace is how late a tick may still be enqueued by a new leader:
	// when a replica becomes leader, the ticks of the last Grace are
	// enqueued (those already enqueued are found by their idempotency key
	// and not enqueued again); older ones follow the schedule's
	// MissedPolicy. Keep it above the elector's failover bound (TTL +
	// RetryInterval) so that no tick is lost to a failover. A leader that
	// falls behind (a pause, a slow storage) catches up on ticks up to
	// Grace or one minute old, whichever is longer. Default 15s;
	// negative: none (a new leader starts with the next future tick).
	Grace time.Duration
	// RetryInterval is the wait before retrying a failed enqueue. Default
	// 1s.
	RetryInterval time.Duration
	// Observer receives run times, next run times and failures; nil:
	// none.
	Observer Observer
	// Logger receives enqueue failures and leadership changes; nil
	// discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Ticks are
	// computed from it, waits use real timers.
	Now func() time.Time
}

// Status is the state of one schedule as a replica sees it.
type Status struct {
	// Name, Spec, TimeZone, Type and Missed are the schedule's.
	Name     string       `json:"name"`
	Spec     string       `json:"spec"`
	TimeZone string       `json:"timezone,omitempty"`
	Type     string       `json:"type"`
	Missed   MissedPolicy `json:"missed"`
	// NextRun is the next tick.
	NextRun *time.Time `json:"next_run,omitempty"`
	// LastRun is the latest tick whose task this replica enqueued or found
	// enqueued (nil when it never led while one came due).
	LastRun *time.Time `json:"last_run,omitempty"`
	// LastError is the last enqueue failure, cleared by a success.
	LastError string `json:"last_error,omitempty"`
	// Stored is true for a schedule of Config.Source, false for one of
	// Config.Schedules.
	Stored bool `json:"stored"`
}

// Scheduler enqueues the tasks of periodic schedules while its replica is
// the leader. Create it with New and call Run.
type Scheduler struct {
	cfg Config
	log *slog.Logger
	obs Observer

	mu      sync.Mutex // guards entries and the status fields of entries
	entries []*entry   // the Config's schedules, then the Source's

	static   map[string]bool // names of the Config's schedules
	wake     chan struct{}   // a reload changed the schedules
	reloadMu sync.Mutex      // serializes reloads; guards skipped
	skipped  map[string]string
}

// entry is one schedule and its state.
type entry struct {
	Schedule
	tk      ticker
	typ     string
	stored  *taskq.StoredSchedule // the Source's definition; nil for the Config's schedules
	since   time.Time             // no tick before it (a stored schedule's creation)
	cursor  time.Time             // earliest tick not enqueued yet in this term; zero before the term's first step
	catchUp time.Time             // a missed tick to enqueue once (CatchUpOnce)
	next    time.Time
	lastRun time.Time
	lastErr string
}

// New validates cfg (each schedule's spec, zone and task) and returns a
// Scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Client == nil {
		return nil, errors.New("periodic: Config.Client is required")
	}
	if cfg.Elector == nil {
		return nil, errors.New("periodic: Config.Elector is required (e.g. a leader.Elector)")
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	cfg.Grace = max(cfg.Grace, 0)
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ReloadInterval <= 0 {
		cfg.ReloadInterval = DefaultReloadInterval
	}
	s := &Scheduler{cfg: cfg, log: log.With("component", "periodic"), obs: cfg.Observer,
		static: map[string]bool{}, wake: make(chan struct{}, 1), skipped: map[string]string{}}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	now := cfg.Now()
	for _, sc := range cfg.Schedules {
		if s.static[sc.Name] {
			return nil, fmt.Errorf("periodic: two schedules named %s", sc.Name)
		}
		e, err := s.newEntry(sc, now)
		if err != nil {
			return nil, err
		}
		s.static[sc.Name] = true
		s.obs.PeriodicNext(sc.Name, e.next)
		s.entries = append(s.entries, e)
	}
	return s, nil
}

// newEntry validates sc (spec, zone, task) and returns its entry.
func (s *Scheduler) newEntry(sc Schedule, now time.Time) (*entry, error) {
	tk, err := sc.parse()
	if err != nil {
		return nil, err
	}
	if sc.Missed == "" {
		sc.Missed = Skip
	}
	e := &entry{Schedule: sc, tk: tk, typ: sc.Type}
	if sc.Args != nil {
		e.typ = sc.Args.Kind()
	}
	if _, err := s.newTask(e, now); err != nil {
		return nil, fmt.Errorf("periodic: schedule %s: %w", sc.Name, err)
	}
	e.next = tk.next(now)
	if e.next.IsZero() {
		return nil, fmt.Errorf("periodic: schedule %s: %w", sc.Name, errNoTicks)
	}
	return e, nil
}

// snapshot returns the current entries.
func (s *Scheduler) snapshot() []*entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries
}

// Run campaigns for leadership through the elector and, while leader,
// enqueues the task of every tick. It returns when ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.cfg.Source == nil {
		return s.cfg.Elector.Run(ctx, s.lead)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.reloadLoop(ctx) })
	err := s.cfg.Elector.Run(ctx, s.lead)
	cancel()
	wg.Wait()
	return err
}

// lead runs one leadership term.
func (s *Scheduler) lead(ctx context.Context, term leader.Term) {
	s.log.InfoContext(ctx, "scheduling periodic tasks", "token", term.Token)
	s.startTerm()
	for {
		wake := s.step(ctx, s.cfg.Now())
		d := min(max(wake.Sub(s.cfg.Now()), 0), time.Minute)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.wake:
			t.Stop()
		}
	}
}

// startTerm forgets the cursors of an earlier term: the ticks done
// meanwhile are the previous leader's.
func (s *Scheduler) startTerm() {
	for _, e := range s.snapshot() {
		e.cursor, e.catchUp = time.Time{}, time.Time{}
	}
}

// step enqueues the due ticks of every schedule at now and returns when
// it should run again.
func (s *Scheduler) step(ctx context.Context, now time.Time) time.Time {
	wake := now.Add(time.Minute)
	for _, e := range s.snapshot() {
		w := s.stepEntry(ctx, e, now)
		if ctx.Err() != nil {
			return now
		}
		if !w.IsZero() && w.Before(wake) {
			wake = w
		}
	}
	return wake
}

// behindLimit is how far behind its ticks a leader may fall (a long
// pause, a slow storage) before the older ones count as missed, when Grace
// is shorter.
const behindLimit = time.Minute

// advance moves e's cursor past the ticks that count as missed, keeping
// the latest of them as catch-up tick under CatchUpOnce: at the start of a
// term, the ticks older than grace; later, those older than grace or
// behindLimit, whichever is longer.
func (e *entry) advance(now time.Time, grace time.Duration) {
	horizon := now.Add(-grace)
	if !e.cursor.IsZero() {
		horizon = now.Add(-max(grace, behindLimit))
		if e.cursor.After(horizon) {
			return
		}
	}
	if floor := e.since.Add(-time.Nanosecond); horizon.Before(floor) {
		horizon = floor
	}
	first := e.tk.next(horizon)
	if e.Missed == CatchUpOnce {
		if p, ok := prev(e.tk, first); ok && !p.Before(e.since) && (e.cursor.IsZero() || !p.Before(e.cursor)) {
			e.catchUp = p
		}
	}
	e.cursor = first
}

// due returns the ticks of e to enqueue at now, oldest first.
func (e *entry) due(now time.Time) []time.Time {
	var out []time.Time
	if !e.catchUp.IsZero() {
		out = append(out, e.catchUp)
	}
	for t := e.cursor; !t.IsZero() && !t.After(now) && len(out) < maxTicksPerStep; t = e.tk.next(t) {
		out = append(out, t)
	}
	return out
}

// stepEntry enqueues e's due ticks and returns when e needs a step again.
func (s *Scheduler) stepEntry(ctx context.Context, e *entry, now time.Time) time.Time {
	e.advance(now, s.cfg.Grace)
	for _, tick := range e.due(now) {
		if err := s.enqueue(ctx, e, tick); err != nil {
			if ctx.Err() != nil {
				return time.Time{}
			}
			s.log.WarnContext(ctx, "periodic enqueue failed; retrying", "schedule", e.Name, "tick", tick, "error", err)
			s.obs.PeriodicFailure(e.Name)
			s.mu.Lock()
			e.lastErr = err.Error()
			s.mu.Unlock()
			return now.Add(s.cfg.RetryInterval)
		}
		if tick.Equal(e.catchUp) {
			e.catchUp = time.Time{}
		} else {
			e.cursor = e.tk.next(tick)
		}
		s.mu.Lock()
		if tick.After(e.lastRun) {
			e.lastRun = tick
		}
		e.lastErr = ""
		s.mu.Unlock()
		s.obs.PeriodicRun(e.Name, tick)
	}
	next := e.cursor
	s.mu.Lock()
	e.next = next
	s.mu.Unlock()
	if next.IsZero() {
		return time.Time{}
	}
	s.obs.PeriodicNext(e.Name, next)
	return next
}

// newTask builds the task of e (validated by the client).
func (s *Scheduler) newTask(e *entry, tick time.Time) (*taskq.Task, error) {
	opts := make([]taskq.EnqueueOption, 0, len(e.Options)+2)
	opts = append(opts, taskq.WithDescription("periodic "+e.Name+" at "+tick.UTC().Format(time.RFC3339)))
	opts = append(opts, e.Options...)
	opts = append(opts, taskq.WithIdempotencyKey(IdempotencyKey(e.Name, tick)))
	if e.Args != nil {
		return s.cfg.Client.NewArgsTask(e.Args, opts...)
	}
	return s.cfg.Client.NewTask(e.Type, e.Metadata, opts...)
}

// enqueue creates the task of tick unless it exists.
func (s *Scheduler) enqueue(ctx context.Context, e *entry, tick time.Time) error {
	t, err := s.newTask(e, tick)
	if err != nil {
		return err
	}
	stored, err := s.cfg.Client.EnqueueTask(ctx, t)
	switch {
	case err == nil:
		s.log.DebugContext(ctx, "periodic task enqueued", "schedule", e.Name, "tick", tick, "task_id", t.ID)
		return nil
	case errors.Is(err, taskq.ErrDuplicate):
		return nil // another replica, or an earlier term, enqueued it
	case stored != nil:
		// Stored but not queued: the worker's reconciler pushes it.
		s.log.WarnContext(ctx, "periodic task stored but not queued", "schedule", e.Name, "task_id", stored.ID, "error", err)
		return nil
	}
	return err
}

// Schedules returns the state of every schedule: those of
// Config.Schedules in their order, then those of Config.Source by name.
// Next runs are computed from now when this replica is not leading.
func (s *Scheduler) Schedules() []Status {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, len(s.entries))
	for i, e := range s.entries {
		st := Status{Name: e.Name, Spec: e.Spec, TimeZone: e.TimeZone, Type: e.typ, Missed: e.Missed, LastError: e.lastErr,
			Stored: e.stored != nil}
		next := e.next
		if next.IsZero() || next.Before(now) {
			next = e.tk.next(now)
		}
		if !next.IsZero() {
			st.NextRun = &next
		}
		if !e.lastRun.IsZero() {
			st.LastRun = new(e.lastRun)
		}
		out[i] = st
	}
	return out
}
