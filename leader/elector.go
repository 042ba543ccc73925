package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// Defaults of Config.
const (
	DefaultTTL = 10 * time.Second
)

// Config configures an Elector.
type Config struct {
	// Name is what is led: electors with the same name (on the same store)
	// elect one leader among them. Letters, digits and ._:-/, at most 128.
	// Required.
	Name string
	// Holder names this elector in the store (and in logs). Default a new
	// random id; give each replica a distinct one if you set it.
	Holder string
	// TTL is how long a lease lasts without renewal, measured by the
	// store's clock. It bounds failover (see the package doc). Default
	// 10s; at least 10ms.
	TTL time.Duration
	// RenewInterval is how often the leader renews its lease. Default
	// TTL/3; it must be less than TTL*9/10 (the point where a leader whose
	// renewals fail steps down).
	RenewInterval time.Duration
	// RetryInterval is how often a follower tries to acquire the lease.
	// Default RenewInterval.
	RetryInterval time.Duration
	// Logger receives elections, losses and store errors; nil discards
	// them.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if !names.Valid(c.Name, 128) {
		return c, fmt.Errorf("leader: Config.Name %q must be 1-128 letters, digits and ._:-/", c.Name)
	}
	if c.Holder == "" {
		c.Holder = taskq.NewID()
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.TTL < 10*time.Millisecond {
		return c, errors.New("leader: Config.TTL must be at least 10ms")
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = c.TTL / 3
	}
	if c.RenewInterval <= 0 || c.RenewInterval >= trustFor(c.TTL) {
		return c, errors.New("leader: Config.RenewInterval must be positive and less than 9/10 of the TTL")
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = c.RenewInterval
	}
	if c.RetryInterval < 0 {
		return c, errors.New("leader: Config.RetryInterval must be positive")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// trustFor is how long after the start of a successful acquisition or
// renewal a leader trusts its lease.
func trustFor(ttl time.Duration) time.Duration { return ttl - ttl/10 }

// Term is one leadership of an elector: from an acquisition to the loss or
// release of the lease.
type Term struct {
	// Name is what is led (Config.Name).
	Name string
	// Holder is the elector's holder id.
	Holder string
	// Token is the fencing token of the lease: strictly greater than the
	// token of every earlier term of Name, on any replica.
	Token int64
	// Since is when the lease was acquired (local clock).
	Since time.Time
}

// Elector campaigns for leadership of one name. Create it with New and
// call Run; it is safe for concurrent use.
type Elector struct {
	store Store
	cfg   Config
	log   *slog.Logger

	mu      sync.Mutex
	current *Term
	running bool
}

// New returns an Elector for cfg.Name on store.
func New(store Store, cfg Config) (*Elector, error) {
	if store == nil {
		return nil, errors.New("leader: New needs a Store (e.g. leader.NewMemoryStore(nil))")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Elector{store: store, cfg: cfg,
		log: cfg.Logger.With("component", "leader", "name", cfg.Name, "holder", cfg.Holder)}, nil
}

// Holder returns the elector's holder id.
func (e *Elector) Holder() string { return e.cfg.Holder }

// Leader returns the current term and true while this elector leads.
func (e *Elector) Leader() (Term, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current == nil {
		return Term{}, false
	}
	return *e.current, true
}

// Run campaigns until ctx ends. Each time the elector becomes leader it
// calls lead with the term and a context that is cancelled when the term
// ends (lease lost, renewals failing past the trusted period, or ctx
// done); lead must return promptly then, and Run waits for it. If lead
// returns while still leader, the elector releases the lease and campaigns
// again after RetryInterval. When ctx ends, Run releases a held lease and
// returns nil. An elector runs at most one Run at a time.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, term Term)) error {
	if lead == nil {
		return errors.New("leader: Run needs a lead function")
	}
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("leader: Run is already running on this elector")
	}
	e.running = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		e.mu.Unlock()
	}()
	for {
		start := time.Now()
		token, ok, err := e.store.Acquire(ctx, e.cfg.Name, e.cfg.Holder, e.cfg.TTL)
		switch {
		case ctx.Err() != nil:
			if ok {
				e.release(token)
			}
			return nil
		case err != nil:
			e.log.WarnContext(ctx, "leader election: acquire failed", "error", err)
		case ok:
			e.lead(ctx, Term{Name: e.cfg.Name, Holder: e.cfg.Holder, Token: token, Since: start},
				start.Add(trustFor(e.cfg.TTL)), lead)
			if ctx.Err() != nil {
				return nil
			}
		}
		if !sleep(ctx, e.cfg.RetryInterval) {
			return nil
		}
	}
}

// lead runs one term: it calls fn and renews the lease until the term
// ends, then waits for fn to return.
func (e *Elector) lead(ctx context.Context, term Term, trustedUntil time.Time, fn func(context.Context, Term)) {
	e.log.InfoContext(ctx, "elected leader", "token", term.Token)
	lctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	e.current = &term
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(lctx, term)
	}()
	release := e.renewLoop(ctx, term, trustedUntil, done)
	e.mu.Lock()
	e.current = nil
	e.mu.Unlock()
	cancel()
	<-done
	if release {
		e.release(term.Token)
	}
}

// renewLoop renews the lease until the term ends and says whether the
// lease should be released (it may still be held).
func (e *Elector) renewLoop(ctx context.Context, term Term, trustedUntil time.Time, done <-chan struct{}) (release bool) {
	renew := time.NewTimer(e.cfg.RenewInterval)
	defer renew.Stop()
	for {
		untrusted := time.NewTimer(time.Until(trustedUntil))
		select {
		case <-ctx.Done():
			untrusted.Stop()
			return true
		case <-done:
			untrusted.Stop()
			e.log.InfoContext(ctx, "lead function returned; resigning", "token", term.Token)
			return true
		case <-untrusted.C:
			e.log.WarnContext(ctx, "leadership lost: lease could not be renewed in time", "token", term.Token)
			return true
		case <-renew.C:
			untrusted.Stop()
		}
		start := time.Now()
		rctx, cancel := context.WithDeadline(ctx, trustedUntil)
		ok, err := e.store.Renew(rctx, e.cfg.Name, e.cfg.Holder, term.Token, e.cfg.TTL)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true
		case err != nil:
			e.log.WarnContext(ctx, "lease renewal failed; retrying", "token", term.Token, "error", err)
			renew.Reset(min(e.cfg.RenewInterval, max(time.Until(trustedUntil)/2, time.Millisecond)))
		case !ok:
			e.log.WarnContext(ctx, "leadership lost: lease renewal refused", "token", term.Token)
			return false
		default:
			trustedUntil = start.Add(trustFor(e.cfg.TTL))
			renew.Reset(e.cfg.RenewInterval)
		}
	}
}

// release gives the lease up, bounded in time: a store that does not
// answer lets it expire instead.
func (e *Elector) release(token int64) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewInterval)
	defer cancel()
	if err := e.store.Release(ctx, e.cfg.Name, e.cfg.Holder, token); err != nil {
		e.log.Warn("lease release failed; it will expire", "token", token, "error", err)
		return
	}
	e.log.Info("released leadership", "token", token)
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
