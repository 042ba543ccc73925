// Package pgkeys is an auth.KeyStore on PostgreSQL (pgx): the API keys of
// the reference server, in a table api_keys of a schema of their own
// (default "taskq", the schema of storage/postgres, with bookkeeping
// table api_key_migrations there). It is separate from the task storage:
// an application embedding taskq as a library needs neither.
package pgkeys

import (
	"context"
	"embed"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/pgschema"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationsTable records the applied versions of this package's
// migrations, inside the schema.
const migrationsTable = "api_key_migrations"

// Config configures a Store. The zero value works.
type Config struct {
	// Schema holds the api_keys table and the bookkeeping; it is created if
	// missing. Default DefaultSchema.
	Schema string
	// SkipMigrations leaves the schema alone (it must be migrated already).
	SkipMigrations bool
}

// DefaultSchema is the schema used when Config.Schema is empty.
const DefaultSchema = pgschema.Default

// Store is an auth.KeyStore on PostgreSQL, safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	q    statements
}

var _ auth.KeyStore = (*Store)(nil)

// New returns a Store over pool (which stays the caller's), after
// creating cfg.Schema if missing and applying the pending migrations there
// (unless cfg.SkipMigrations). Statements name the schema explicitly: the
// pool's search_path does not matter.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgkeys: New needs a *pgxpool.Pool")
	}
	if cfg.Schema == "" {
		cfg.Schema = DefaultSchema
	}
	if err := pgschema.Validate("pgkeys: Config.Schema", cfg.Schema); err != nil {
		return nil, err
	}
	if !cfg.SkipMigrations {
		ms, err := pgschema.Load(migrationFS, "migrations")
		if err != nil {
			return nil, err
		}
		if _, err := pgschema.Migrate(ctx, pool, pgschema.Set{Schema: cfg.Schema, Table: migrationsTable, Migrations: ms}); err != nil {
			return nil, mapError("migrate", err)
		}
	}
	return &Store{pool: pool, q: newStatements(cfg.Schema)}, nil
}

const sqlUniqueViolation = "23505"

// mapError converts a pgx error into a *taskq.Error whose message names
// the operation only; the driver error is kept as the cause.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &taskq.Error{Code: taskq.CodeNotFound, Message: "pgkeys: " + op + ": not found", Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == sqlUniqueViolation:
			return &taskq.Error{Code: taskq.CodeConflict, Message: "pgkeys: " + op + ": key with this id or hash exists", Err: err}
		case pe.Code[:2] == "23":
			return &taskq.Error{Code: taskq.CodeValidation, Message: "pgkeys: " + op + ": value out of range", Err: err}
		}
	}
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "pgkeys: " + op + ": database unavailable",
		Retryable: true, Err: err}
}
