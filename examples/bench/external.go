package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
)

// openExternal opens the Redis queue (and PostgreSQL storage for
// redis+postgres). Each phase uses its own Redis key prefix, so phases and
// runs never see each other's entries.
func openExternal(ctx context.Context, o options, phase string, b *backends) error {
	if o.backend != "redis" && o.backend != "redis+postgres" {
		return errUnknownBackend
	}
	if o.redisURL == "" {
		return fmt.Errorf("-backend %s needs -redis-url (or TASKQ_REDIS_URL)", o.backend)
	}
	prefix := "bench" + strconv.FormatInt(time.Now().UnixNano(), 36) + "." + phase
	q, err := redisqueue.NewFromURL(o.redisURL, redisqueue.Config{KeyPrefix: prefix})
	if err != nil {
		return err
	}
	b.queue = q
	b.closers = append(b.closers, func() { _ = q.Close() })
	if o.backend == "redis" {
		b.store = storage.NewMemory()
		return nil
	}
	if o.databaseURL == "" {
		return fmt.Errorf("-backend redis+postgres needs -database-url (or TASKQ_DATABASE_URL)")
	}
	s, err := postgres.Open(ctx, o.databaseURL, postgres.Config{})
	if err != nil {
		return err
	}
	b.store = s
	b.closers = append(b.closers, func() { _ = s.Close() })
	return nil
}
