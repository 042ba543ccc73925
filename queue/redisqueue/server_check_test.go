package redisqueue_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestCheckServer: an allkeys-* maxmemory-policy is refused with an error
// naming it; noeviction and volatile-* (the queue's keys have no TTL) pass.
func TestCheckServer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		policy string
		ok     bool
	}{
		{"noeviction", true},
		{"volatile-lru", true},
		{"allkeys-lru", false},
		{"allkeys-random", false},
	} {
		t.Run(c.policy, func(t *testing.T) {
			t.Parallel()
			r := testenv.StartRedis(t, testenv.WithRedisArgs("--maxmemory-policy", c.policy))
			q := newQueue(t, r.URL(), redisqueue.Config{})
			policy, err := q.CheckServer(ctxT(t))
			require.Equal(t, c.policy, policy)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, redisqueue.ErrEvictingPolicy)
			require.ErrorContains(t, err, c.policy)
		})
	}
}
