package server

import (
	"context"
	"go.opentelemetry.io/otel/trace"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/server/tasktypes"
	"github.com/taskq/taskq/worker"
)

// Deps are the collaborators of a Server. The zero value works: in-memory
// queue and storage, a new Prometheus registry, a discarding logger.
type Deps struct {
	// Queue holds dispatch state. Nil: queue.NewMemory().
	Queue taskq.Queue
	// Store holds task records. Nil: storage.NewMemory().
	Store taskq.StorageAdapter
	// Keys stores API keys. Nil: auth.NewMemoryKeyStore() when Store is a
	// *storage.Memory, a pgkeys store in the same database and schema when
	// it is a *postgres.Store (migrated by New), a rediskeys store under
	// the same key prefix when it is a *redisstore.Store; any other Store
	// needs Keys.
	Keys auth.KeyStore
	// Redis, when set, shares rate limits between replicas. Nil: the
	// client of Queue when it is a *redisqueue.Queue, else per-process
	// limits.
	Redis rueidis.Client
	// RateLimitPrefix starts the Redis keys of the shared rate limits.
	// Empty: auth.DefaultRateLimitPrefix.
	RateLimitPrefix string
	// Registry receives the metrics and is served on /metrics. Nil: a new
	// registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Logger receives the logs. Nil: discarded.
	Logger *slog.Logger
	// TaskTypes are registered besides the built-in ones (same name
	// replaces a built-in).
	TaskTypes []tasktypes.Type
	// Health pings the backends for /health. Nil fields: derived from
	// Queue and Store (a *redisqueue.Queue or *redisstore.Store is
	// "redis", a *postgres.Store is "db"); others are not_configured.
	Health Health
	// TracerProvider, when set, traces HTTP requests, enqueues, attempts
	// and backend calls (package taskqotel); Run sets it from the
	// OTEL_* environment (TracingFromEnv). Nil: no tracing.
	TracerProvider trace.TracerProvider
	// Worker, when set, adjusts the worker configuration built from
	// Config before the worker is created (tests, embedding).
	Worker func(*worker.Config)

	closers []func() error
}

// Health holds the checks of /health/redis and /health/db; nil means the
// component is not configured.
type Health struct {
	// Redis pings the queue backend (/health/redis).
	Redis func(ctx context.Context) error
	// DB pings the storage backend (/health/db).
	DB func(ctx context.Context) error
}
