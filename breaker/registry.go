package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
)

// Observer receives the state of every breaker of a Registry; the metrics
// package implements it to export circuit_breaker_state{breaker} and
// circuit_breaker_trips_total{breaker}. Calls come from the goroutine that
// caused the change, possibly concurrently for different breakers; they
// must be quick and must not call Do on the breaker they report.
type Observer interface {
	// BreakerState reports a breaker's state: Closed once when it is
	// created (so its series exist from then on), then every new state.
	BreakerState(name string, s State)
	// BreakerTrip reports that a breaker opened, once per opening.
	BreakerTrip(name string)
}

// RegistryConfig configures a Registry. Its zero value works.
type RegistryConfig struct {
	// Default configures every breaker that Configure did not.
	Default Config
	// OnStateChange, when set, is called on every state transition with
	// the breaker's name and its old and new state, after Trips counts the
	// opening. The same rules as for Observer apply.
	OnStateChange func(name string, from, to State)
	// Observer, when set, receives each breaker's initial state, every
	// transition and every trip.
	Observer Observer
	// Logger logs transitions: at warn when a breaker opens, at info
	// otherwise. Nil discards them.
	Logger *slog.Logger
}

// Registry holds named breakers, created on first use. It is safe for
// concurrent use.
type Registry struct {
	def      Config
	onChange func(name string, from, to State)
	observer Observer
	log      *slog.Logger

	mu       sync.RWMutex
	breakers map[string]*Breaker
}

// NewRegistry returns an empty registry. It panics when cfg.Default is
// invalid (see Config.Validate), as the zero Config never is.
func NewRegistry(cfg RegistryConfig) *Registry {
	def := cfg.Default.WithDefaults()
	if err := def.validate(); err != nil {
		panic("breaker: NewRegistry: default " + err.Error())
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{
		def:      def,
		onChange: cfg.OnStateChange,
		observer: cfg.Observer,
		log:      log.With("component", "breaker"),
		breakers: make(map[string]*Breaker),
	}
}

// Configure creates the named breaker with cfg, whose zero fields take the
// registry's default values. It fails when cfg is invalid or when the
// breaker already exists (a live breaker keeps its configuration): call it
// at start-up, before Get or Do use the name. Configured breakers are
// listed by Names and reported to the Observer at once.
func (r *Registry) Configure(name string, cfg Config) error {
	cfg = cfg.inherit(r.def)
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("breaker %q: %w", name, err)
	}
	r.mu.Lock()
	if _, ok := r.breakers[name]; ok {
		r.mu.Unlock()
		return fmt.Errorf("breaker %q: %w", name, errExists)
	}
	b := r.newBreaker(name, cfg)
	r.breakers[name] = b
	r.mu.Unlock()
	r.created(b)
	return nil
}

var errExists = errors.New("already created; Configure must come before first use")

// Get returns the named breaker, creating it with the default config on
// first use. Names become metric labels: keep them few and stable (a
// service or a host, never a URL or an id).
func (r *Registry) Get(name string) *Breaker {
	r.mu.RLock()
	b, ok := r.breakers[name]
	r.mu.RUnlock()
	if ok {
		return b
	}
	r.mu.Lock()
	if b, ok = r.breakers[name]; ok {
		r.mu.Unlock()
		return b
	}
	b = r.newBreaker(name, r.def)
	r.breakers[name] = b
	r.mu.Unlock()
	r.created(b)
	return b
}

// Names returns the names of the breakers created so far, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.breakers))
	for n := range r.breakers {
		names = append(names, n)
	}
	r.mu.RUnlock()
	slices.Sort(names)
	return names
}

// Do calls fn through the named breaker: Get(name).Do(ctx, fn).
func (r *Registry) Do(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return r.Get(name).Do(ctx, fn)
}

// created reports a new breaker to the observer.
func (r *Registry) created(b *Breaker) {
	if r.observer != nil {
		r.observer.BreakerState(b.name, Closed)
	}
}

// newBreaker builds a breaker from a config whose defaults are filled.
func (r *Registry) newBreaker(name string, cfg Config) *Breaker {
	b := &Breaker{name: name, cfg: cfg}
	builder := circuitbreaker.NewBuilder[any]().
		WithDelay(cfg.Delay).
		WithSuccessThresholdRatio(uint(cfg.SuccessThreshold), uint(cfg.HalfOpenTrials)).
		OnStateChanged(func(e circuitbreaker.StateChangedEvent) {
			r.transition(b, stateOf(e.OldState), stateOf(e.NewState), e.Metrics())
		})
	if cfg.FailureRatio > 0 {
		builder = builder.WithFailureRateThreshold(cfg.FailureRatio, uint(cfg.MinExecutions), cfg.Window)
	} else {
		builder = builder.WithFailureThreshold(uint(cfg.FailureThreshold))
	}
	if cfg.Jitter > 0 {
		builder = builder.WithJitterFactor(cfg.Jitter)
	}
	b.cb = builder.Build()
	return b
}

// transition runs the hooks of one state change. failsafe calls it without
// holding its lock.
func (r *Registry) transition(b *Breaker, from, to State, m circuitbreaker.Metrics) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("breaker", b.name), slog.String("from", from.String()), slog.String("to", to.String()),
		slog.Uint64("failures", uint64(m.Failures())), slog.Uint64("executions", uint64(m.Executions())),
	}
	if to == Open {
		b.trips.Add(1)
		level = slog.LevelWarn
		attrs = append(attrs, slog.Duration("delay", b.cb.RemainingDelay()), slog.Uint64("trips", b.trips.Load()))
	}
	r.log.LogAttrs(context.Background(), level, "circuit breaker "+to.String(), attrs...)
	if r.observer != nil {
		r.observer.BreakerState(b.name, to)
		if to == Open {
			r.observer.BreakerTrip(b.name)
		}
	}
	if r.onChange != nil {
		r.onChange(b.name, from, to)
	}
}
