package redisleader_test

import (
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/leadertest"
	"github.com/taskq/taskq/leader/redisleader"
)

func TestMain(m *testing.M) {
	// After a cluster topology refresh rueidis closes replaced connections
	// from a goroutine that first sleeps 5s; it ends on its own.
	testenv.Main(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}

// newClient returns a rueidis client on url, closed when the test ends.
func newClient(t *testing.T, url string) rueidis.Client {
	t.Helper()
	opt, err := rueidis.ParseURL(url)
	require.NoError(t, err)
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestConformance(t *testing.T) {
	srv := testenv.StartRedis(t)
	leadertest.Run(t, func(t *testing.T) leader.Store {
		// A client per store, as replicas have.
		s, err := redisleader.New(newClient(t, srv.URL()), redisleader.Config{KeyPrefix: "lt"})
		require.NoError(t, err)
		return s
	})
}

func TestConformanceOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	c := testenv.StartRedisCluster(t)
	client := newClient(t, c.URL())
	s, err := redisleader.New(client, redisleader.Config{})
	require.NoError(t, err)
	leadertest.Run(t, func(*testing.T) leader.Store { return s })
}

func TestConfig(t *testing.T) {
	_, err := redisleader.New(nil, redisleader.Config{})
	require.Error(t, err)
	srv := testenv.StartRedis(t)
	_, err = redisleader.New(newClient(t, srv.URL()), redisleader.Config{KeyPrefix: "a{b}"})
	require.ErrorContains(t, err, "KeyPrefix")
}

func TestUnreachable(t *testing.T) {
	srv := testenv.StartRedis(t)
	s, err := redisleader.New(newClient(t, srv.URL()), redisleader.Config{})
	require.NoError(t, err)
	srv.Stop(t)
	_, _, err = s.Acquire(t.Context(), "x", "a", leader.DefaultTTL)
	require.Error(t, err)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}
