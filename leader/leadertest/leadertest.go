package leadertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/leader"
)

// NewStoreFunc returns a store for one test. Stores returned for the same
// test run share their backend, so names are unique per test: the suite
// gives each test a fresh name.
type NewStoreFunc func(t *testing.T) leader.Store

// Timing of the elector tests: short, so failover happens within a test.
const (
	ttl   = 600 * time.Millisecond
	renew = 150 * time.Millisecond
	retry = 100 * time.Millisecond
	// slack covers scheduling delays of a loaded machine (-race, two
	// cores) on top of a bound.
	slack = 700 * time.Millisecond
)

var nameSeq atomic.Int64

func uniqueName(t *testing.T) string {
	return fmt.Sprintf("lt-%d-%d", time.Now().UnixNano()%1e9, nameSeq.Add(1))
}

// Run runs the suite against the stores newStore returns.
func Run(t *testing.T, newStore NewStoreFunc) {
	t.Run("Store", func(t *testing.T) { testStore(t, newStore) })
	t.Run("Elector", func(t *testing.T) { testElector(t, newStore) })
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or d elapses.
func waitFor(t *testing.T, d time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{d}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// faultStore wraps a store to simulate a replica's failures.
type faultStore struct {
	leader.Store
	mode     atomic.Int32
	acquires atomic.Int64 // Acquire calls that reached the store
}

const (
	healthy = iota
	down    // every call fails: the replica is partitioned or dead
	lying   // Renew says yes without asking the store: a drifting clock
)

var errDown = errors.New("leadertest: store unreachable (simulated)")

func (f *faultStore) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	if f.mode.Load() == down {
		return 0, false, errDown
	}
	defer f.acquires.Add(1)
	return f.Store.Acquire(ctx, name, holder, ttl)
}

func (f *faultStore) Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (bool, error) {
	switch f.mode.Load() {
	case down:
		return false, errDown
	case lying:
		return true, nil
	}
	return f.Store.Renew(ctx, name, holder, token, ttl)
}

func (f *faultStore) Release(ctx context.Context, name, holder string, token int64) error {
	if f.mode.Load() != healthy {
		return errDown
	}
	return f.Store.Release(ctx, name, holder, token)
}

// term is one observed leadership.
type term struct {
	elector    int
	token      int64
	start, end time.Time
}

// cluster runs electors on one name and records their terms.
type cluster struct {
	t       *testing.T
	name    string
	stores  []*faultStore
	cancels []context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex
	terms    []*term
	active   map[int]*term
	overlaps int
	// hold, when set, is how long a leader leads before resigning;
	// zero: until its term ends.
	hold time.Duration
}

func newCluster(t *testing.T, newStore NewStoreFunc, n int, hold time.Duration) *cluster {
	c := &cluster{t: t, name: uniqueName(t), active: map[int]*term{}, hold: hold}
	ctx := ctxFor(t, time.Minute)
	for i := range n {
		fs := &faultStore{Store: newStore(t)}
		e, err := leader.New(fs, leader.Config{Name: c.name, Holder: fmt.Sprintf("replica-%d", i),
			TTL: ttl, RenewInterval: renew, RetryInterval: retry})
		require.NoError(t, err)
		rctx, cancel := context.WithCancel(ctx)
		c.stores = append(c.stores, fs)
		c.cancels = append(c.cancels, cancel)
		c.wg.Go(func() {
			assert.NoError(t, e.Run(rctx, func(lctx context.Context, tm leader.Term) { c.lead(lctx, i, tm) }))
		})
	}
	t.Cleanup(func() {
		for _, cancel := range c.cancels {
			cancel()
		}
		c.wg.Wait()
	})
	return c
}

func (c *cluster) lead(ctx context.Context, i int, tm leader.Term) {
	c.mu.Lock()
	if len(c.active) > 0 {
		c.overlaps++
	}
	rec := &term{elector: i, token: tm.Token, start: time.Now()}
	c.terms = append(c.terms, rec)
	c.active[i] = rec
	c.mu.Unlock()
	if c.hold > 0 {
		t := time.NewTimer(c.hold)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	} else {
		<-ctx.Done()
	}
	c.mu.Lock()
	rec.end = time.Now()
	delete(c.active, i)
	c.mu.Unlock()
}

// leader returns the elector leading now, or -1.
func (c *cluster) leader() (int, *term) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, tm := range c.active {
		return i, tm
	}
	return -1, nil
}

func (c *cluster) numTerms() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.terms)
}

func (c *cluster) snapshot() ([]term, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]term, len(c.terms))
	for i, tm := range c.terms {
		out[i] = *tm
	}
	return out, c.overlaps
}

// checkTokens asserts that terms, in order of start, have strictly
// increasing tokens and never overlap.
func (c *cluster) check() []term {
	c.t.Helper()
	terms, overlaps := c.snapshot()
	require.Zero(c.t, overlaps, "two electors led at once")
	for i := 1; i < len(terms); i++ {
		require.Greater(c.t, terms[i].token, terms[i-1].token, "tokens must increase across terms: %+v", terms)
		if !terms[i-1].end.IsZero() {
			require.False(c.t, terms[i].start.Before(terms[i-1].end), "terms overlap: %+v", terms)
		}
	}
	return terms
}
