package redisqueue_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/queuetest"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestConformance runs the Queue conformance suite on one redis-server.
// Each case gets its own Queue (its own client, from the URL) with a unique
// key prefix on the shared server.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	queuetest.Run(t, factory(srv.URL()))
}

// TestCluster runs the conformance suite and the slot checks on one
// three-master Redis Cluster.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := testenv.StartRedisCluster(t)
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		queuetest.Run(t, factory(c.URL()))
	})
	t.Run("BindStorage", func(t *testing.T) {
		t.Parallel()
		testBindStorage(t, c.URL())
	})
	t.Run("KeysShareOneSlot", func(t *testing.T) {
		t.Parallel()
		testKeysShareOneSlot(t, c)
	})
}

func factory(url string) func(t *testing.T) taskq.Queue {
	return func(t *testing.T) taskq.Queue {
		return newQueue(t, url, redisqueue.Config{})
	}
}

// testKeysShareOneSlot checks on a cluster that every key a queue uses
// carries the queue's hash tag and maps to one slot, that different queues
// spread over slots, and that Wait listens on the queue's shard channel.
func testKeysShareOneSlot(t *testing.T, c *testenv.RedisCluster) {
	prefix := uniquePrefix()
	q := newQueue(t, c.URL(), redisqueue.Config{KeyPrefix: prefix})
	ctx := ctxT(t)
	queues := []string{"emails", "reports", "default", "a/b:c"}
	for _, name := range queues {
		// Touch every key: ready with owner rounds (all priorities),
		// owners, scheduled, leased (with its token and the token
		// counter).
		require.NoError(t, q.Enqueue(ctx, name,
			taskq.QueueEntry{ID: "r0", Priority: 0, Owner: "o"}, entry("r1", 1), entry("r2", 2), entry("r3", 3), entry("l", 3),
			taskq.QueueEntry{ID: "s", Priority: 1, RunAt: farFuture}))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 1, TTL: farTTL})
		require.NoError(t, err)
		require.Len(t, ls, 1)
		require.NoError(t, q.Requeue(ctx, name, entry("r0", 0))) // ready: left alone
	}
	slots := map[string]bool{}
	for _, name := range queues {
		tag := "{" + prefix + ":" + name + "}"
		var keys []string
		for _, n := range c.Nodes {
			out, err := n.Do("KEYS", tag+"*") // test-only inspection
			require.NoError(t, err)
			if out != "" {
				keys = append(keys, strings.Split(out, "\n")...)
			}
		}
		// rounds:{low,medium,high,critical}, fair:{low,...,critical},
		// owners, scheduled, leased, entries, tokens, tokenseq.
		require.Len(t, keys, 14, "keys of %s: %v", name, keys)
		var slot string
		for _, k := range keys {
			require.True(t, strings.HasPrefix(k, tag+":"), k)
			s, err := c.Nodes[0].Do("CLUSTER", "KEYSLOT", k)
			require.NoError(t, err)
			if slot == "" {
				slot = s
			}
			require.Equal(t, slot, s, "key %s", k)
		}
		slots[slot] = true
	}
	require.Greater(t, len(slots), 1, "queues spread over slots")

	// Wait subscribes with SSUBSCRIBE to {prefix:queue}:notify, on the node
	// that owns the queue's slot.
	require.NoError(t, q.Wait(ctx, "idle", time.Millisecond))
	channel := "{" + prefix + ":idle}:notify"
	shardSubs := func() int {
		subs := 0
		for _, n := range c.Nodes {
			out, err := n.Do("PUBSUB", "SHARDNUMSUB", channel)
			require.NoError(t, err)
			var k int
			_, err = fmt.Sscanf(strings.TrimPrefix(out, channel+"\n"), "%d", &k)
			require.NoError(t, err, out)
			subs += k
		}
		return subs
	}
	waitFor(t, 5*time.Second, func() bool { return shardSubs() == 1 }, "one shard subscription for the queue")
}

// TestURLForms connects through a unix socket and with a database number in
// the URL.
func TestURLForms(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "redis.sock")
	srv := testenv.StartRedis(t, testenv.WithRedisArgs("--unixsocket", sock, "--unixsocketperm", "700"))
	ctx := ctxT(t)
	for _, url := range []string{"unix://" + sock, srv.URL() + "/2"} {
		q := newQueue(t, url, redisqueue.Config{})
		require.NoError(t, q.Ping(ctx), url)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 1)), url)
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute})
		require.NoError(t, err, url)
		require.Equal(t, []string{"a"}, ids(ls), url)
	}
	info, err := srv.Do("INFO", "keyspace")
	require.NoError(t, err)
	require.Contains(t, info, "db0:keys=", "unix socket client used db 0")
	require.Contains(t, info, "db2:keys=", "redis://…/2 selected db 2")
}
