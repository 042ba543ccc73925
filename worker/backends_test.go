package worker_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

func init() {
	backends = append(backends,
		backend{"postgres", func(*testing.T) maker {
			return func(t *testing.T, cfg worker.Config) *bundle {
				return setupWith(t, newPostgresStore(t), queue.NewMemory(), cfg)
			}
		}},
		backend{"postgres-only", func(*testing.T) maker {
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withPostgresOnly(t, cfg)
			}
		}},
		backend{"redis", func(parent *testing.T) maker {
			url := testenv.StartRedis(parent).URL()
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withRedis(t, url, storage.NewMemory(), cfg)
			}
		}},
		backend{"redis-only", func(parent *testing.T) maker {
			url := testenv.StartRedis(parent).URL()
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withRedisOnly(t, url, cfg)
			}
		}},
		backend{"redis+postgres", func(parent *testing.T) maker {
			url := testenv.StartRedis(parent).URL()
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withRedis(t, url, newPostgresStore(t), cfg)
			}
		}},
	)
}

var prefixSeq atomic.Int64

// withRedis builds a bundle on a Redis queue with a key prefix of its own,
// so parallel tests share one server without seeing each other.
func withRedis(t *testing.T, url string, store taskq.StorageAdapter, cfg worker.Config) *bundle {
	t.Helper()
	prefix := fmt.Sprintf("w%d", prefixSeq.Add(1))
	open := func(t *testing.T) taskq.Queue {
		q, err := redisqueue.NewFromURL(url, redisqueue.Config{KeyPrefix: prefix})
		require.NoError(t, err)
		t.Cleanup(func() { _ = q.Close() })
		return q
	}
	b := setupWith(t, store, open(t), cfg)
	b.newQueue = open
	return b
}

// withRedisOnly builds a bundle on Redis alone: the records in
// storage/redisstore and the queue in queue/redisqueue, both under one key
// prefix of the test's own, the store dispatching (as taskq-server opens
// them).
func withRedisOnly(t *testing.T, url string, cfg worker.Config) *bundle {
	t.Helper()
	prefix := fmt.Sprintf("w%d", prefixSeq.Add(1))
	store, err := redisstore.NewFromURL(url, redisstore.Config{KeyPrefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	// The queue on the store's client: the store writes the entries of
	// the tasks it creates (Store.Queue). Another process's queue is one
	// more on the same client.
	open := func(t *testing.T) taskq.Queue {
		q, err := store.Queue(redisqueue.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = q.Close() })
		return q
	}
	b := setupWith(t, store, open(t), cfg)
	b.newQueue = open
	b.dispatching = true
	return b
}

// withPostgresOnly builds a bundle on PostgreSQL alone: a store that keeps
// the queue entries of its tasks (Config.Dispatch) and the Queue of its
// schema; otherQueue opens another Queue on the same database, as a second
// process would.
func withPostgresOnly(t *testing.T, cfg worker.Config) *bundle {
	t.Helper()
	s := newPostgresStoreWith(t, postgres.Config{Dispatch: true})
	open := func(t *testing.T) taskq.Queue {
		q := s.Queue(postgres.QueueConfig{})
		t.Cleanup(func() { _ = q.Close() })
		return q
	}
	b := setupWith(t, s, open(t), cfg)
	b.newQueue = open
	b.dispatching = true
	return b
}

// newPostgresStore returns a store on a fresh database of the shared test
// server, copied from a migrated template.
func newPostgresStore(t *testing.T) *postgres.Store { return newPostgresStoreTB(t) }

func newPostgresStoreTB(t testing.TB) *postgres.Store {
	t.Helper()
	return newPostgresStoreWith(t, postgres.Config{})
}

// newPostgresStoreWith is newPostgresStore with cfg (SkipMigrations is
// set: the template is migrated).
func newPostgresStoreWith(t testing.TB, cfg postgres.Config) *postgres.Store {
	t.Helper()
	pg := testenv.SharedPostgres(t)
	tmpl := pg.Template(t, "taskq_worker_tmpl", func(ctx context.Context, url string) error {
		s, err := postgres.Open(ctx, url, postgres.Config{})
		if err != nil {
			return err
		}
		return s.Close()
	})
	cfg.SkipMigrations = true
	s, err := postgres.Open(context.Background(), pg.NewDatabaseFrom(t, tmpl), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}
