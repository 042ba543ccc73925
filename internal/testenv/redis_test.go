package testenv_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
)

func TestStartRedis(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t, testenv.WithRedisArgs("--maxmemory", "64mb"))
	require.Equal(t, "redis://"+r.Addr(), r.URL())
	require.True(t, strings.HasPrefix(r.Addr(), "127.0.0.1:"))
	pong, err := r.Do("PING")
	require.NoError(t, err)
	require.Equal(t, "PONG", pong)
	mm, err := r.Do("CONFIG", "GET", "maxmemory")
	require.NoError(t, err)
	require.Equal(t, "maxmemory\n67108864", mm)
	aof, err := r.Do("CONFIG", "GET", "appendonly")
	require.NoError(t, err)
	require.Equal(t, "appendonly\nno", aof)
	bind, err := r.Do("CONFIG", "GET", "bind")
	require.NoError(t, err)
	require.Equal(t, "bind\n127.0.0.1", bind)
	_, err = r.Do("NOSUCHCOMMAND")
	require.Error(t, err)

	r.Stop(t)
	_, err = r.Do("PING")
	require.Error(t, err, "stopped server still answers")
	r.Stop(t) // idempotent
}

func TestRedisRestartKeepsAppendOnlyData(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t, testenv.WithAppendOnly())
	fsync, err := r.Do("CONFIG", "GET", "appendfsync")
	require.NoError(t, err)
	require.Equal(t, "appendfsync\nalways", fsync)
	_, err = r.Do("SET", "k", "v1")
	require.NoError(t, err)

	r.Restart(t)
	v, err := r.Do("GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v1", v)

	_, err = r.Do("SET", "k", "v2")
	require.NoError(t, err)
	r.Kill(t) // a crash: appendfsync always kept the acknowledged write
	r.Start(t)
	v, err = r.Do("GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v2", v)
}

func TestStartRedisCluster(t *testing.T) {
	t.Parallel()
	c := testenv.StartRedisCluster(t)
	require.Len(t, c.Nodes, 3)
	require.Len(t, c.Addrs(), 3)
	require.Equal(t, "redis://"+c.Nodes[0].Addr()+"?addr="+c.Nodes[1].Addr()+"&addr="+c.Nodes[2].Addr(), c.URL())
	for _, n := range c.Nodes {
		info, err := n.Do("CLUSTER", "INFO")
		require.NoError(t, err)
		require.Contains(t, info, "cluster_state:ok")
		require.Contains(t, info, "cluster_known_nodes:3")
		require.Contains(t, info, "cluster_slots_assigned:16384")
	}
}
