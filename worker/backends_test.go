package worker_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

func init() {
	backends = append(backends,
		struct {
			name string
			mk   maker
		}{"postgres", setupPostgres},
	)
}

// newPostgresStore returns a store on a fresh database of the shared test
// server, copied from a migrated template.
func newPostgresStore(t *testing.T) *postgres.Store { return newPostgresStoreTB(t) }

func newPostgresStoreTB(t testing.TB) *postgres.Store {
	t.Helper()
	pg := testenv.SharedPostgres(t)
	tmpl := pg.Template(t, "taskq_worker_tmpl", func(ctx context.Context, url string) error {
		s, err := postgres.Open(ctx, url, postgres.Config{})
		if err != nil {
			return err
		}
		return s.Close()
	})
	s, err := postgres.Open(context.Background(), pg.NewDatabaseFrom(t, tmpl), postgres.Config{SkipMigrations: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// setupPostgres: the memory queue with PostgreSQL storage.
func setupPostgres(t *testing.T, cfg worker.Config) *bundle {
	t.Helper()
	return setupWith(t, newPostgresStore(t), queue.NewMemory(), cfg)
}
