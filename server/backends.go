package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
)

// connectTimeout bounds the first contact with Redis and PostgreSQL.
const connectTimeout = 15 * time.Second

// OpenBackends opens the queue and storage the configuration names: Redis
// (cfg.RedisURL) or the in-memory queue, PostgreSQL (cfg.DatabaseURL,
// migrated on open) or the in-memory storage, and logs which. The
// returned Deps own the backends: close them with Deps.Close once the
// Server has stopped. Errors never repeat a password of a URL.
func OpenBackends(ctx context.Context, cfg Config, log *slog.Logger) (Deps, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var d Deps
	d.Logger = log
	if cfg.RedisURL == "" {
		d.Queue = queue.NewMemory()
		log.InfoContext(ctx, "using the in-memory queue: tasks waiting in it are lost when the process stops; set TASKQ_REDIS_URL for Redis")
	} else {
		q, err := redisqueue.NewFromURL(cfg.RedisURL, redisqueue.Config{Logger: log})
		if err != nil {
			return Deps{}, fmt.Errorf("redis %s: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
		}
		pctx, cancel := context.WithTimeout(ctx, connectTimeout)
		err = q.Ping(pctx)
		cancel()
		if err != nil {
			_ = q.Close()
			return Deps{}, fmt.Errorf("redis %s does not answer: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
		}
		cctx, cancel := context.WithTimeout(ctx, connectTimeout)
		policy, err := q.CheckServer(cctx)
		cancel()
		if err != nil {
			_ = q.Close()
			return Deps{}, fmt.Errorf("redis %s: %s", redactURL(cfg.RedisURL), redactErr(err, cfg.RedisURL))
		}
		d.Queue = q
		log.InfoContext(ctx, "using the Redis queue", "redis", redactURL(cfg.RedisURL), "maxmemory_policy", policy)
	}
	if cfg.DatabaseURL == "" {
		// Finished records of an in-memory run are kept for a day.
		d.Store = storage.NewMemory(storage.WithRetention(24*time.Hour), storage.WithLimits(cfg.MemoryMaxTasks, cfg.MemoryMaxBytes))
		log.InfoContext(ctx, "using the in-memory storage: tasks and API keys are lost when the process stops; set TASKQ_DATABASE_URL for PostgreSQL")
	} else {
		octx, cancel := context.WithTimeout(ctx, connectTimeout)
		st, err := postgres.Open(octx, cfg.DatabaseURL, postgres.Config{Logger: log})
		if err == nil {
			err = st.Ping(octx)
			if err != nil {
				_ = st.Close()
			}
		}
		cancel()
		if err != nil {
			_ = d.Queue.Close()
			return Deps{}, fmt.Errorf("postgres %s: %s", redactURL(cfg.DatabaseURL), redactErr(err, cfg.DatabaseURL))
		}
		d.Store = st
		log.InfoContext(ctx, "using the PostgreSQL storage (migrations applied)", "database", redactURL(cfg.DatabaseURL), "schema", st.Schema())
	}
	d.closers = append(d.closers, d.Store.Close, d.Queue.Close)
	return d, nil
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
