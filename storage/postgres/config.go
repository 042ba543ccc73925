package postgres

import (
	"errors"
	"log/slog"
	"time"

	"github.com/taskq/taskq/internal/pgschema"
)

// Config configures a Store. The zero value works.
type Config struct {
	// Schema is the PostgreSQL schema that holds every object of the store
	// (tables, indexes, migration bookkeeping); it is created if missing.
	// Statements name it explicitly, so the search_path of the pool does
	// not matter and the host application's own tables (public.tasks, for
	// example) are never touched. Lower-case letters, digits and _, at
	// most 63. Default DefaultSchema. Stores with different schemas in one
	// database are independent.
	Schema string
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// Now returns the current time, used where a caller gives none (the DLQ
	// entry time); nil means time.Now.
	Now func() time.Time
	// MaxBatch caps the statements of one group-commit batch. Default 256.
	MaxBatch int
	// MaxInFlight is how many group-commit batches may be in flight at once;
	// calls arriving meanwhile wait and form the next batch. With 2 or
	// more, one of them is kept for StartTasks calls (which hold a worker's
	// handler slots until they return), so they never queue behind
	// completions. Default 2.
	MaxInFlight int
	// BatchWindow, when positive, holds a batch open this long for more
	// calls before sending it. Default 0: batches form only from calls that
	// arrive while earlier batches are in flight, so a lone call is never
	// delayed.
	BatchWindow time.Duration
	// WriteTimeout bounds one batch round trip. Default 30s.
	WriteTimeout time.Duration
	// SkipMigrations leaves the schema alone (it must be migrated already).
	SkipMigrations bool
	// Dispatch makes the store keep the dispatch entries of its tasks in
	// the Queue of its schema (Store.Queue), for a deployment on
	// PostgreSQL alone: creating a pending task (CreateTask, CreateTasks)
	// adds its entry, and moving a task to completed, cancelled or
	// dead_letter (UpdateTask, MoveTaskToDeadLetter) or deleting it
	// removes its entry, in the same statement or transaction as the
	// record. A created task is then dispatchable without any
	// Queue.Enqueue (which finds the entry present and changes nothing),
	// and a cancelled one leaves the queue with its record (its holder's
	// next Extend reports it lost), whatever crashes in between. Use it
	// only with that Queue: entries would pile up in a queue nobody
	// leases from.
	Dispatch bool
}

// Defaults of Config.
const (
	DefaultSchema       = pgschema.Default
	DefaultMaxBatch     = 256
	DefaultMaxInFlight  = 2
	DefaultWriteTimeout = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	return c
}

func (c Config) validate() error {
	if err := pgschema.Validate("postgres: Config.Schema", c.Schema); err != nil {
		return err
	}
	switch {
	case c.MaxBatch < 1:
		return errors.New("postgres: Config.MaxBatch must be positive")
	case c.MaxInFlight < 1:
		return errors.New("postgres: Config.MaxInFlight must be positive")
	case c.BatchWindow < 0:
		return errors.New("postgres: Config.BatchWindow must not be negative")
	case c.WriteTimeout < 0:
		return errors.New("postgres: Config.WriteTimeout must not be negative")
	}
	return nil
}
