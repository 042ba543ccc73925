package postgres

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/taskq/taskq/internal/pgschema"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationsTable records the applied versions, inside the store's
// schema.
const migrationsTable = "schema_migrations"

// legacyMigrationsTable is the bookkeeping table of taskq versions that
// kept their tables in the search_path schema (public): a schema holding it
// is not built over.
const legacyMigrationsTable = "taskq_schema_migrations"

// migrations returns the embedded migrations in version order.
func migrations() ([]pgschema.Migration, error) {
	return pgschema.Load(migrationFS, "migrations")
}

// migrate creates schema if missing and applies the pending migrations
// there; it returns how many it applied. Concurrent callers apply each
// migration once.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return pgschema.Migrate(ctx, pool, pgschema.Set{Schema: schema, Table: migrationsTable,
		Migrations: ms, Legacy: legacyMigrationsTable})
}
