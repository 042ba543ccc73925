package leadertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testStore(t *testing.T, newStore NewStoreFunc) {
	t.Run("AcquireRenewRelease", func(t *testing.T) {
		t.Parallel()
		s, ctx, name := newStore(t), ctxFor(t, 30*time.Second), uniqueName(t)
		tok, ok, err := s.Acquire(ctx, name, "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		require.Positive(t, tok)

		_, ok, err = s.Acquire(ctx, name, "b", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a held lease is not given to another holder")
		_, ok, err = s.Acquire(ctx, name, "a", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a holder renews rather than acquiring again")

		ok, err = s.Renew(ctx, name, "a", tok, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.Renew(ctx, name, "b", tok, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "only the holder renews")
		ok, err = s.Renew(ctx, name, "a", tok+1, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "only with its token")

		require.NoError(t, s.Release(ctx, name, "b", tok), "releasing someone else's lease is a no-op")
		_, ok, err = s.Acquire(ctx, name, "b", time.Minute)
		require.NoError(t, err)
		require.False(t, ok)

		require.NoError(t, s.Release(ctx, name, "a", tok))
		require.NoError(t, s.Release(ctx, name, "a", tok), "release is idempotent")
		ok, err = s.Renew(ctx, name, "a", tok, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a released lease cannot be renewed")
		tok2, ok, err := s.Acquire(ctx, name, "b", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "a released lease is free at once")
		require.Greater(t, tok2, tok)

		tok3, ok, err := s.Acquire(ctx, uniqueName(t), "b", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "names are independent")
		require.Positive(t, tok3)
	})

	t.Run("ExpiryAndStaleHolder", func(t *testing.T) {
		t.Parallel()
		s, ctx, name := newStore(t), ctxFor(t, 30*time.Second), uniqueName(t)
		tok, ok, err := s.Acquire(ctx, name, "a", 200*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		var tok2 int64
		waitFor(t, 5*time.Second, func() bool {
			var err error
			tok2, ok, err = s.Acquire(ctx, name, "b", time.Minute)
			require.NoError(t, err)
			return ok
		}, "an expired lease is free")
		require.Greater(t, tok2, tok, "the fencing token grows across holders")

		ok, err = s.Renew(ctx, name, "a", tok, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "the stale holder's renewal is refused")
		require.NoError(t, s.Release(ctx, name, "a", tok))
		ok, err = s.Renew(ctx, name, "b", tok2, time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "the stale holder's release does not touch the new lease")
	})

	t.Run("ExpiredLeaseReacquiredBySameHolder", func(t *testing.T) {
		t.Parallel()
		s, ctx, name := newStore(t), ctxFor(t, 30*time.Second), uniqueName(t)
		tok, ok, err := s.Acquire(ctx, name, "a", 50*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		var tok2 int64
		waitFor(t, 5*time.Second, func() bool {
			var err error
			tok2, ok, err = s.Acquire(ctx, name, "a", time.Minute)
			require.NoError(t, err)
			return ok
		}, "a lease left to expire is free again")
		require.Greater(t, tok2, tok, "every acquisition gets a new token, even by the same holder")
		ok, err = s.Renew(ctx, name, "a", tok, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "the old term's token no longer renews")
		ok, err = s.Renew(ctx, name, "a", tok2, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("ConcurrentAcquire", func(t *testing.T) {
		t.Parallel()
		ctx, name := ctxFor(t, 30*time.Second), uniqueName(t)
		const n = 8
		type res struct {
			ok  bool
			tok int64
			err error
		}
		results := make(chan res, n)
		start := make(chan struct{})
		for i := range n {
			s := newStore(t)
			go func() {
				<-start
				tok, ok, err := s.Acquire(ctx, name, string(rune('a'+i)), time.Minute)
				results <- res{ok, tok, err}
			}()
		}
		close(start)
		winners := 0
		for range n {
			r := <-results
			require.NoError(t, r.err)
			if r.ok {
				winners++
			}
		}
		require.Equal(t, 1, winners, "exactly one concurrent acquirer wins")
	})
}
