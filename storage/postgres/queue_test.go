package postgres_test

import (
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/queuetest"
	"github.com/taskq/taskq/storage/postgres"
)

// newTestQueue returns a Queue on a store of its own (a fresh database),
// closed in t.Cleanup before the store.
func newTestQueue(t *testing.T, cfg postgres.Config) (*postgres.Store, *postgres.Queue) {
	t.Helper()
	s := postgres.NewTestStore(t, cfg)
	q := s.Queue(postgres.QueueConfig{})
	t.Cleanup(func() { _ = q.Close() })
	return s, q
}

func TestQueue(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, func(t *testing.T) taskq.Queue {
		_, q := newTestQueue(t, postgres.Config{})
		return q
	})
}
