package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/ownercount"
)

// Store is a taskq.StorageAdapter (and taskq.StorageIdentity) on
// PostgreSQL, in the schema of Config.Schema. It is safe for concurrent
// use.
type Store struct {
	pool      *pgxpool.Pool
	q         *queries
	ownPool   bool
	cfg       Config
	log       *slog.Logger
	w         *writer
	reads     *getter
	closeOnce sync.Once

	evictions ownercount.Counter
	// countsFold paces CountTasks's folds of the counter rows of ended
	// connections.
	countsFold foldGate

	idMu sync.Mutex
	id   string // storage identity, once read
}

var (
	_ taskq.StorageAdapter      = (*Store)(nil)
	_ taskq.StorageIdentity     = (*Store)(nil)
	_ taskq.OwnerUsage          = (*Store)(nil)
	_ taskq.DeadLetterEvictions = (*Store)(nil)
)

// New returns a Store over pool, after creating cfg.Schema if missing and
// applying the pending migrations there (unless cfg.SkipMigrations). The
// pool stays the caller's: Close does not close it, and its search_path is
// irrelevant.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: New needs a *pgxpool.Pool (or use Open with a database URL)")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "storage.postgres")
	if !cfg.SkipMigrations {
		n, err := migrate(ctx, pool, cfg.Schema)
		if err != nil {
			return nil, mapError("migrate", err)
		}
		if n > 0 {
			log.InfoContext(ctx, "applied migrations", "schema", cfg.Schema, "count", n)
		}
	}
	q := newQueries(cfg.Schema)
	if cfg.Dispatch {
		q.useDispatch()
	}
	return &Store{pool: pool, q: q, cfg: cfg, log: log, w: newWriter(pool, q, cfg),
		reads: newGetter(pool, q, cfg.WriteTimeout)}, nil
}

// Open connects to databaseURL (a postgres:// URL or key=value string;
// pool settings such as pool_max_conns are accepted) and returns a Store
// that owns the pool. An empty databaseURL is an error (the reference
// server reads it from TASKQ_DATABASE_URL).
func Open(ctx context.Context, databaseURL string, cfg Config) (*Store, error) {
	if databaseURL == "" {
		return nil, &taskq.Error{Code: taskq.CodeInvalidInput, Message: "postgres: Open needs a connection URL (TASKQ_DATABASE_URL)"}
	}
	pcfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The parse error may quote the URL: keep it out of the message.
		return nil, &taskq.Error{Code: taskq.CodeInvalidInput, Message: "postgres: malformed database URL", Err: err}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, mapError("connect", err)
	}
	s, err := New(ctx, pool, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return s, nil
}

// Schema returns the schema that holds the store's objects.
func (s *Store) Schema() string { return s.cfg.Schema }

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// WriterStats reports the work of the group-commit writer so far.
func (s *Store) WriterStats() WriterStats { return s.w.stats() }

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	return mapError("ping", s.pool.Ping(ctx))
}

// Close stops the writer (calls still queued fail with service
// unavailable; batches in flight finish) and closes the pool if Open
// created it. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.w.close()
		if s.ownPool {
			s.pool.Close()
		}
	})
	return nil
}
