package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
)

func TestMigrationsFiles(t *testing.T) {
	t.Parallel()
	ms, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	for i, m := range ms {
		require.Equal(t, i+1, m.Version, "versions are 1, 2, … without gaps: %s", m.Name)
		require.NotEmpty(t, m.SQL)
	}
}

// Replicas starting together: concurrent runners on one fresh database
// apply every migration exactly once between them and all succeed.
func TestMigrationsConcurrentRunnersApplyOnce(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	ctx := t.Context()
	ms, err := migrations()
	require.NoError(t, err)

	const runners = 4
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		applied [runners]int
		errs    [runners]error
	)
	for i := range runners {
		pool, err := pgxpool.New(ctx, url)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			applied[i], errs[i] = migrate(ctx, pool, DefaultSchema)
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range runners {
		require.NoError(t, errs[i], "runner %d", i)
		total += applied[i]
	}
	require.Equal(t, len(ms), total, "each migration applied once in all")

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT version FROM taskq."+migrationsTable+" ORDER BY version")
	require.NoError(t, err)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(t, err)
	require.Len(t, versions, len(ms))
	for _, table := range []string{"taskq.tasks", "taskq.storage_identity"} {
		var exists bool
		require.NoError(t, conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists))
		require.True(t, exists, table)
	}
}

// Two Open calls at once on a fresh database both succeed, and a later
// Open finds nothing to apply.
func TestOpenConcurrentOnFreshDatabase(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	ctx := t.Context()
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores [2]*Store
		errs   [2]error
	)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(ctx, url, Config{})
		}()
	}
	close(start)
	wg.Wait()
	for i := range 2 {
		require.NoError(t, errs[i])
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	require.NoError(t, stores[0].Ping(ctx))
	n, err := migrate(ctx, stores[1].Pool(), DefaultSchema)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to apply")
	var count int
	require.NoError(t, stores[0].Pool().QueryRow(ctx, "SELECT count(*) FROM taskq."+migrationsTable).Scan(&count))
	ms, err := migrations()
	require.NoError(t, err)
	require.Equal(t, len(ms), count)
}

func TestMigrateHonoursContext(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	pool, err := pgxpool.New(t.Context(), url)
	require.NoError(t, err)
	defer pool.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = migrate(ctx, pool, DefaultSchema)
	require.Error(t, err)
}
