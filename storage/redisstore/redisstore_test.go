package redisstore_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/storage/storagetest"
)

// TestConformance runs the StorageAdapter conformance suite on one
// redis-server, each case on its own key prefix.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	storagetest.Run(t, factory(srv.URL(), redisstore.Config{}))
}

// TestConformanceSmallScanBatch runs the suite with a scan batch of 2, so
// filtered listings fill their pages over many script calls (the default
// scan limit is far above the suite's data; short pages are tested by
// TestShortPagesAreNeverWrong).
func TestConformanceSmallScanBatch(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	storagetest.Run(t, factory(srv.URL(), redisstore.Config{ScanBatch: 2}))
}

// TestCluster runs the conformance suite and the slot check on one
// three-master Redis Cluster.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := testenv.StartRedisCluster(t)
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		storagetest.Run(t, factory(c.URL(), redisstore.Config{}))
	})
	t.Run("KeysShareOneSlot", func(t *testing.T) {
		t.Parallel()
		testKeysShareOneSlot(t, c)
	})
	t.Run("QueueDoesNotDispatch", func(t *testing.T) {
		t.Parallel()
		testClusterQueueDoesNotDispatch(t, c)
	})
}

func factory(url string, cfg redisstore.Config) func(t *testing.T) taskq.StorageAdapter {
	return func(t *testing.T) taskq.StorageAdapter {
		return newStore(t, url, cfg)
	}
}

// testKeysShareOneSlot stores tasks touching every kind of key (record,
// every index, idempotency hash, DLQ, identity) and checks that they all
// carry the tag {prefix} and live in one slot.
func testKeysShareOneSlot(t *testing.T, c *testenv.RedisCluster) {
	prefix := uniquePrefix()
	s := newStore(t, c.URL(), redisstore.Config{KeyPrefix: prefix})
	ctx := ctxT(t)
	a := task(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })
	b := task(func(t *taskq.Task) { t.Status = taskq.StatusRunning; t.Queue = "bulk"; t.Type = "sms" })
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{a, b}))
	_, err := s.MoveTaskToDeadLetter(ctx, b, 10)
	require.NoError(t, err)
	_, err = s.StorageID(ctx)
	require.NoError(t, err)

	tag := "{" + prefix + "}"
	var keys []string
	for _, n := range c.Nodes {
		out, err := n.Do("KEYS", tag+"*") // test-only inspection
		require.NoError(t, err)
		if out != "" {
			keys = append(keys, strings.Split(out, "\n")...)
		}
	}
	// 2 records, all, 2 status (pending, dead_letter: the running index
	// emptied and is gone), 2 type, 2 queue, 1 owner, idem, dlq, storage_id,
	// usage, the DLQ owner counts and the DLQ of the empty owner, the
	// status counts and the pending set of a's queue.
	require.Len(t, keys, 18, "keys: %v", keys)
	var slot string
	for _, k := range keys {
		require.True(t, strings.HasPrefix(k, tag+":"), k)
		sl, err := c.Nodes[0].Do("CLUSTER", "KEYSLOT", k)
		require.NoError(t, err)
		if slot == "" {
			slot = sl
		}
		require.Equal(t, slot, sl, "key %s", k)
	}
}
