package leadertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/leader"
)

func testElector(t *testing.T, newStore NewStoreFunc) {
	t.Run("OneLeaderAtATime", func(t *testing.T) {
		t.Parallel()
		// Leaders resign after a while, so leadership moves around.
		c := newCluster(t, newStore, 4, 250*time.Millisecond)
		waitFor(t, 30*time.Second, func() bool { return c.numTerms() >= 6 }, "six terms")
		terms := c.check()
		electors := map[int]bool{}
		for _, tm := range terms {
			electors[tm.elector] = true
		}
		require.Greater(t, len(electors), 1, "a resigning leader lets another one in: %+v", terms)
	})

	t.Run("KilledLeaderIsReplacedWithinTheBound", func(t *testing.T) {
		t.Parallel()
		c := newCluster(t, newStore, 3, 0)
		var first *term
		waitFor(t, 10*time.Second, func() bool { _, first = c.leader(); return first != nil }, "a first leader")
		i := first.elector
		// Kill it: its store calls fail from now on (no renewal, no
		// release), and its Run ends.
		killed := time.Now()
		c.stores[i].mode.Store(down)
		c.cancels[i]()
		bound := ttl + retry + slack
		var next *term
		waitFor(t, 10*time.Second, func() bool {
			j, tm := c.leader()
			if j >= 0 && j != i {
				next = tm
			}
			return next != nil
		}, "a new leader")
		require.LessOrEqual(t, next.start.Sub(killed), bound, "failover within TTL + RetryInterval")
		require.Greater(t, next.token, first.token)
		c.check()
	})

	t.Run("PartitionedLeaderStepsDownBeforeTakeover", func(t *testing.T) {
		t.Parallel()
		c := newCluster(t, newStore, 3, 0)
		var first *term
		waitFor(t, 10*time.Second, func() bool { _, first = c.leader(); return first != nil }, "a first leader")
		i := first.elector
		c.stores[i].mode.Store(down) // its renewals fail; it keeps running
		var next *term
		waitFor(t, 10*time.Second, func() bool {
			j, tm := c.leader()
			if j >= 0 && j != i {
				next = tm
			}
			return next != nil
		}, "a new leader")
		terms := c.check()
		require.False(t, terms[0].end.IsZero(), "the partitioned leader stopped")
		require.True(t, terms[0].end.Before(next.start))
		// Healed, it stays a follower while the new leader renews.
		n := c.stores[i].acquires.Load()
		c.stores[i].mode.Store(healthy)
		waitFor(t, 10*time.Second, func() bool { return c.stores[i].acquires.Load() >= n+2 },
			"the healed elector tries to acquire twice")
		j, _ := c.leader()
		require.Equal(t, next.elector, j)
		c.check()
	})

	t.Run("StaleLeaderLearnsItLost", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t)
		ctx := ctxFor(t, time.Minute)
		fs := &faultStore{Store: newStore(t)}
		a, err := leader.New(fs, leader.Config{Name: name, Holder: "a", TTL: ttl, RenewInterval: renew, RetryInterval: retry})
		require.NoError(t, err)
		elected := make(chan leader.Term, 1)
		stopped := make(chan struct{})
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = a.Run(actx, func(lctx context.Context, tm leader.Term) {
				elected <- tm
				<-lctx.Done()
				close(stopped)
				cancel() // one term is enough
			})
		}()
		t.Cleanup(func() { cancel(); <-done })
		var ta leader.Term
		select {
		case ta = <-elected:
		case <-ctx.Done():
			t.Fatal("a was not elected")
		}
		_, ok := a.Leader()
		require.True(t, ok)
		// a believes its renewals succeed (its clock runs slow, say) while
		// the store lets its lease expire and b takes it.
		fs.mode.Store(lying)
		other := newStore(t)
		var tb int64
		waitFor(t, 10*time.Second, func() bool {
			var err error
			tb, ok, err = other.Acquire(ctx, name, "b", time.Minute)
			require.NoError(t, err)
			return ok
		}, "b acquires the expired lease")
		require.Greater(t, tb, ta.Token)
		select {
		case <-stopped:
			t.Fatal("a stopped before its renewal was refused")
		default:
		}
		fs.mode.Store(healthy) // a's next renewal reaches the store
		select {
		case <-stopped:
		case <-time.After(renew + slack):
			t.Fatal("a stale leader did not stop after its renewal was refused")
		}
		<-done
		_, ok = a.Leader()
		require.False(t, ok)
		ok, err = other.Renew(ctx, name, "b", tb, time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "the stale leader did not release b's lease")
	})
}
