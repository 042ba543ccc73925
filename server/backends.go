package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
)

// connectTimeout bounds the first contact with Redis and PostgreSQL.
const connectTimeout = 15 * time.Second

// OpenBackends opens the backends of the deployment the configuration
// names and logs which:
//
//   - TASKQ_DATABASE_URL only: PostgreSQL alone (postgres): records and
//     dispatch in one database, a task's record and queue entry written in
//     one statement (postgres.Config.Dispatch and Store.Queue);
//   - TASKQ_REDIS_URL only: Redis alone (redis): records in
//     storage/redisstore, dispatch in queue/redisqueue on the store's
//     client (redisstore.Store.Queue), a task's record and queue entry
//     written in one script on a single Redis server;
//   - both: Redis dispatch with the records in PostgreSQL (redis+postgres);
//   - neither: the process' memory (memory).
//
// PostgreSQL is migrated on open. A Redis whose maxmemory-policy evicts
// keys is refused (an evicted key loses or repeats tasks). The returned
// Deps own the backends: close them with Deps.Close once the Server has
// stopped. Errors never repeat a password of a URL.
func OpenBackends(ctx context.Context, cfg Config, log *slog.Logger) (Deps, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := Deps{Logger: log}
	deployment := deploymentOfConfig(cfg)
	var err error
	switch deployment {
	case deployMemory:
		d.Queue = queue.NewMemory()
		// Finished records of an in-memory run are kept for a day.
		d.Store = storage.NewMemory(storage.WithRetention(24*time.Hour), storage.WithLimits(cfg.MemoryMaxTasks, cfg.MemoryMaxBytes))
		log.InfoContext(ctx, "using the in-memory queue and storage: tasks and API keys are lost when the process stops; set TASKQ_DATABASE_URL and/or TASKQ_REDIS_URL to keep them")
	case deployPostgres:
		var st *postgres.Store
		st, err = openPostgres(ctx, cfg, postgres.Config{Logger: log, Dispatch: true}, log)
		if err == nil {
			d.Store, d.Queue = st, st.Queue(postgres.QueueConfig{Logger: log})
		}
	case deployRedis:
		// The queue on the store's client: the store writes each created
		// task's entry in the script that stores its record (on a single
		// server; on a cluster the Client pushes it after the record).
		var st *redisstore.Store
		st, err = openRedisStore(ctx, cfg, log)
		if err == nil {
			var q *redisqueue.Queue
			q, err = st.Queue(redisqueue.Config{Logger: log})
			if err == nil {
				err = checkRedisQueue(ctx, cfg, q, log)
				if err != nil {
					_ = q.Close()
				}
			}
			if err != nil {
				_ = st.Close()
			} else {
				d.Store, d.Queue = st, q
				log.InfoContext(ctx, "Redis storage dispatch", "dispatches", st.Dispatches(q))
			}
		}
	case deployRedisPostgres:
		var q *redisqueue.Queue
		q, err = openRedisQueue(ctx, cfg, log)
		if err == nil {
			var st *postgres.Store
			st, err = openPostgres(ctx, cfg, postgres.Config{Logger: log}, log)
			if err != nil {
				_ = q.Close()
			} else {
				d.Store, d.Queue = st, q
			}
		}
	}
	if err != nil {
		return Deps{}, err
	}
	log.InfoContext(ctx, "backends open", "deployment", deployment)
	// The queue first: a PostgreSQL queue runs on the store's pool.
	d.closers = append(d.closers, d.Queue.Close, d.Store.Close)
	return d, nil
}

// openRedisQueue opens the Redis queue of cfg and checks it
// (checkRedisQueue).
func openRedisQueue(ctx context.Context, cfg Config, log *slog.Logger) (*redisqueue.Queue, error) {
	q, err := redisqueue.NewFromURL(cfg.RedisURL, redisqueue.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("redis %s: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
	}
	if err := checkRedisQueue(ctx, cfg, q, log); err != nil {
		_ = q.Close()
		return nil, err
	}
	return q, nil
}

// checkRedisQueue checks that the Redis of queue q answers and does not
// evict keys.
func checkRedisQueue(ctx context.Context, cfg Config, q *redisqueue.Queue, log *slog.Logger) error {
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	err := q.Ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("redis %s does not answer: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	policy, err := q.CheckServer(cctx)
	cancel()
	if err != nil {
		return fmt.Errorf("redis %s: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
	}
	log.InfoContext(ctx, "using the Redis queue", "redis", redactURL(cfg.RedisURL), "maxmemory_policy", policy)
	return nil
}

// openRedisStore opens the Redis storage of cfg (Redis alone). A warning
// says so when Redis does not keep its data across a restart.
func openRedisStore(ctx context.Context, cfg Config, log *slog.Logger) (*redisstore.Store, error) {
	st, err := redisstore.NewFromURL(cfg.RedisURL, redisstore.Config{})
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, connectTimeout)
		err = st.Ping(pctx)
		cancel()
		if err != nil {
			_ = st.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("redis %s: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	aof := redisAppendOnly(cctx, st.Client())
	cancel()
	if aof != "yes" {
		log.WarnContext(ctx, "Redis holds the task records and API keys, but its append-only file is off: a restart of Redis loses what changed since its last snapshot; set appendonly yes", "appendonly", aof)
	}
	log.InfoContext(ctx, "using the Redis storage", "redis", redactURL(cfg.RedisURL), "key_prefix", st.KeyPrefix(), "appendonly", aof)
	return st, nil
}

// redisAppendOnly returns Redis' appendonly setting, or "unknown" when
// CONFIG GET is refused (managed services).
func redisAppendOnly(ctx context.Context, c rueidis.Client) string {
	m, err := c.Do(ctx, c.B().ConfigGet().Parameter("appendonly").Build()).AsStrMap()
	if err != nil || m["appendonly"] == "" {
		return "unknown"
	}
	return m["appendonly"]
}

// openPostgres opens and migrates the PostgreSQL storage of cfg.
func openPostgres(ctx context.Context, cfg Config, pcfg postgres.Config, log *slog.Logger) (*postgres.Store, error) {
	octx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	st, err := postgres.Open(octx, cfg.DatabaseURL, pcfg)
	if err == nil {
		err = st.Ping(octx)
		if err != nil {
			_ = st.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %s", redactURL(cfg.DatabaseURL), redactErr(err, cfg.DatabaseURL))
	}
	log.InfoContext(ctx, "using the PostgreSQL storage (migrations applied)", "database", redactURL(cfg.DatabaseURL), "schema", st.Schema(), "dispatch", pcfg.Dispatch)
	return st, nil
}

// Close closes the backends OpenBackends opened (nothing for Deps built
// by hand).
func (d Deps) Close() error {
	var errs []error
	for _, c := range d.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// redactURL returns a URL without its password, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// redactErr returns err's text with the URL's password masked.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	} else if strings.Contains(msg, raw) {
		msg = strings.ReplaceAll(msg, raw, "(database URL)")
	}
	var te *taskq.Error
	if errors.As(err, &te) && te.Message != "" && strings.Contains(msg, "://") {
		return te.Message // the cause quotes the URL: keep only the sanitized message
	}
	return msg
}
