package redisstore_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
)

// TestMemoryPerTask measures the Redis memory one stored task costs: a
// pending task (type "email", queue "default", no owner, no idempotency
// key) with a 100-byte JSON metadata object, stored 10,000 times in
// batches of 1,000 on a fresh redis-server, from used_memory (INFO memory)
// before and after. The figure is logged (run with -v) and quoted in the
// package doc and docs/performance.md:
//
//	go test -count=1 -v -run TestMemoryPerTask ./storage/redisstore/
//
// The same with 40-byte metadata, where every field of the record fits
// Redis' compact listpack encoding of hashes (values up to
// hash-max-listpack-value, 64 bytes), is logged for comparison.
func TestMemoryPerTask(t *testing.T) {
	t.Parallel()
	for _, size := range []int{100, 40} {
		t.Run(strconv.Itoa(size)+"ByteMetadata", func(t *testing.T) {
			t.Parallel()
			measureMemory(t, size)
		})
	}
}

func measureMemory(t *testing.T, size int) {
	srv := testenv.StartRedis(t)
	s := newStore(t, srv.URL(), redisstore.Config{KeyPrefix: "mem"})
	ctx := ctxT(t)
	const total, batch = 10000, 1000

	md := func(i int) map[string]any {
		m := map[string]any{"to": fmt.Sprintf("u%06d@example.com", i), "pad": ""}
		b, _ := json.Marshal(m)
		m["pad"] = fmt.Sprintf("%0*d", size-len(b), 0)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		require.Len(t, b, size, "metadata is %d bytes of JSON: %s", size, b)
		return m
	}
	// Warm up: the first write creates the index keys and loads the
	// script; measure from there.
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{task(func(t *taskq.Task) { t.Metadata = md(total) })}))
	before := usedMemory(t, srv)
	for i := 0; i < total; i += batch {
		ts := make([]*taskq.Task, batch)
		for j := range ts {
			ts[j] = task(func(t *taskq.Task) { t.Metadata = md(i + j) })
		}
		require.NoError(t, s.CreateTasks(ctx, ts))
	}
	after := usedMemory(t, srv)
	keys, err := srv.Do("DBSIZE")
	require.NoError(t, err)
	// total+1 records, the all, status, type and queue indexes, the
	// owner usage counters, the status counts and the queue's pending
	// set.
	require.Equal(t, strconv.Itoa(total+1+7), keys)
	perTask := float64(after-before) / total
	page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 1})
	require.NoError(t, err)
	enc, err := srv.Do("OBJECT", "ENCODING", "{mem}:t:"+page.Tasks[0].ID)
	require.NoError(t, err)
	usage, err := srv.Do("MEMORY", "USAGE", "{mem}:t:"+page.Tasks[0].ID)
	require.NoError(t, err)
	t.Logf("redis memory per task: %.0f bytes (used_memory %d -> %d for %d tasks with %d-byte metadata; record encoding %s, MEMORY USAGE of one record %s)",
		perTask, before, after, total, size, enc, usage)
	require.Greater(t, perTask, float64(size), "a task holds at least its metadata")
	require.Less(t, perTask, 4096.0, "memory per task out of bounds")
}

var usedMemoryRE = regexp.MustCompile(`(?m)^used_memory:(\d+)`)

func usedMemory(t *testing.T, srv *testenv.Redis) int64 {
	t.Helper()
	info, err := srv.Do("INFO", "memory")
	require.NoError(t, err)
	m := usedMemoryRE.FindStringSubmatch(info)
	require.NotNil(t, m, info)
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n
}
