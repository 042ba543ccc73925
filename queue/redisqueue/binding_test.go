package redisqueue_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
)

// TestBindStorage binds a key prefix on one redis-server.
func TestBindStorage(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	testBindStorage(t, srv.URL())
}

// testBindStorage checks on the server at url that the first id binds the
// prefix for every Queue using it, that the same id is accepted again, that
// another id is refused with a message naming both, and that other prefixes
// are independent. Concurrent first bindings with different ids let exactly
// one win.
func testBindStorage(t *testing.T, url string) {
	ctx := ctxT(t)
	prefix := uniquePrefix()
	a := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
	b := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})

	require.NoError(t, a.BindStorage(ctx, "store-1"))
	require.NoError(t, a.BindStorage(ctx, "store-1"), "same id, same Queue")
	require.NoError(t, b.BindStorage(ctx, "store-1"), "same id, another Queue on the prefix")

	err := b.BindStorage(ctx, "store-2")
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)
	require.NotErrorIs(t, err, taskq.ErrDuplicate)
	for _, part := range []string{prefix, "store-1", "store-2", "one deployment"} {
		require.ErrorContains(t, err, part)
	}
	// A Queue that accepted store-1 (and cached it) still refuses store-2.
	require.ErrorIs(t, a.BindStorage(ctx, "store-2"), taskq.ErrStorageMismatch)
	require.NoError(t, b.BindStorage(ctx, "store-1"), "the refusal changed nothing")

	require.ErrorIs(t, a.BindStorage(ctx, ""), taskq.ErrInvalidInput)

	other := newQueue(t, url, redisqueue.Config{KeyPrefix: uniquePrefix()})
	require.NoError(t, other.BindStorage(ctx, "store-2"), "another prefix is another deployment")

	// Racing first bindings: exactly one id wins, every loser is refused.
	race := uniquePrefix()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		q := newQueue(t, url, redisqueue.Config{KeyPrefix: race})
		wg.Go(func() { errs[i] = q.BindStorage(ctx, "racer-"+string(rune('a'+i))) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, taskq.ErrStorageMismatch)
	}
	require.Equal(t, 1, won, "errors: %v", errs)
}

// identified is a StorageAdapter with a fixed StorageID.
type identified struct {
	taskq.StorageAdapter
	id string
}

func (s identified) StorageID(context.Context) (string, error) { return s.id, nil }

// TestClientsWithTwoStoragesShareAPrefix puts two Clients over two
// different storages on one key prefix: the first binds it; the second's
// Enqueue fails with ErrStorageMismatch and writes nothing, neither to its
// storage nor to Redis.
func TestClientsWithTwoStoragesShareAPrefix(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	ctx := ctxT(t)
	prefix := uniquePrefix()

	q1 := newQueue(t, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	c1, err := taskq.NewClient(identified{storage.NewMemory(), "deployment-1"}, q1, taskq.ClientConfig{})
	require.NoError(t, err)
	t1, err := c1.Enqueue(ctx, "email", map[string]any{"to": "a@example.com"})
	require.NoError(t, err)

	keys := func() []string {
		out, err := srv.Do("KEYS", "*") // test-only inspection of a private server
		require.NoError(t, err)
		k := strings.Split(out, "\n")
		slices.Sort(k)
		return k
	}
	before := keys()
	require.Contains(t, before, prefix+":storage")
	stats, err := q1.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Equal(t, int64(1), stats.Ready[t1.Priority])

	store2 := storage.NewMemory()
	q2 := newQueue(t, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	c2, err := taskq.NewClient(identified{store2, "deployment-2"}, q2, taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = c2.Enqueue(ctx, "email", map[string]any{"to": "b@example.com"})
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)
	require.ErrorContains(t, err, "deployment-1")
	require.ErrorContains(t, err, "deployment-2")
	_, err = c2.EnqueueMany(ctx, []taskq.EnqueueRequest{{Type: "email"}})
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)

	require.Equal(t, before, keys(), "the refused Client wrote no key")
	after, err := q1.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Equal(t, stats, after, "the refused Client queued nothing")
	page, err := store2.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks, "the refused Client stored no task")

	// The first deployment goes on; so does a third Client on its storage.
	_, err = c1.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
}
