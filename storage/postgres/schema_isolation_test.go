package postgres_test

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/storagetest"
)

func newSchema() string { return "s_" + strings.ToLower(rand.Text()[:12]) }

func openStore(t *testing.T, url string, cfg postgres.Config) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// hostRows returns the rows of the host application's tables, in order.
func hostRows(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT format('%s|%s|%s', id, title, done) FROM public.tasks
		UNION ALL SELECT format('%s|%s', email, name) FROM public.users ORDER BY 1`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

// A host database with tables of its own named like the library's
// (public.tasks and public.users with other columns, found first by the
// default search_path): the conformance suite passes on stores in schemas
// of their own there, and the host's rows are the same afterwards.
func TestHostTablesUntouched(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, `
		CREATE TABLE public.tasks (id serial PRIMARY KEY, title text NOT NULL, done boolean NOT NULL DEFAULT false);
		CREATE TABLE public.users (email text PRIMARY KEY, name text NOT NULL);
		INSERT INTO public.tasks (title, done) VALUES ('write report', false), ('ship', true);
		INSERT INTO public.users VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob');`)
	require.NoError(t, err)
	before := hostRows(t, conn)
	require.Len(t, before, 4)

	t.Run("suite", func(t *testing.T) {
		// Every store its own schema in the one database: they are
		// independent, or the suite's expectations of an empty store fail.
		storagetest.Run(t, func(t *testing.T) taskq.StorageAdapter {
			return openStore(t, url, postgres.Config{Schema: newSchema()})
		})
	})
	t.Run("default schema", func(t *testing.T) {
		s := openStore(t, url, postgres.Config{})
		require.Equal(t, "taskq", s.Schema())
		task := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "q"}
		_, err := s.CreateTask(ctx, task)
		require.NoError(t, err)
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM taskq.tasks").Scan(&n))
		require.Equal(t, 1, n)
	})
	require.Equal(t, before, hostRows(t, conn), "the host's tables are untouched")
}

// Two stores with different schemas in one database see nothing of each
// other and have different identities; stores on one schema share both.
func TestSchemasAreIndependent(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	ctx := t.Context()
	a1 := openStore(t, url, postgres.Config{Schema: "tenant_a"})
	b := openStore(t, url, postgres.Config{Schema: "tenant_b"})
	a2 := openStore(t, url, postgres.Config{Schema: "tenant_a", SkipMigrations: true})

	task := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "q"}
	_, err := a1.CreateTask(ctx, task)
	require.NoError(t, err)
	_, err = b.GetTask(ctx, task.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)
	_, err = b.CreateTask(ctx, task)
	require.NoError(t, err, "the same id in another schema")
	_, err = a2.GetTask(ctx, task.ID)
	require.NoError(t, err)
	n, err := b.CountDeadLetterTasks(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	idA1, err := a1.StorageID(ctx)
	require.NoError(t, err)
	idA2, err := a2.StorageID(ctx)
	require.NoError(t, err)
	idB, err := b.StorageID(ctx)
	require.NoError(t, err)
	require.Equal(t, idA1, idA2, "one schema, one identity")
	require.NotEqual(t, idA1, idB, "another schema, another identity")
	again, err := a1.StorageID(ctx)
	require.NoError(t, err)
	require.Equal(t, idA1, again)
	reopened := openStore(t, url, postgres.Config{Schema: "tenant_b"})
	idB2, err := reopened.StorageID(ctx)
	require.NoError(t, err)
	require.Equal(t, idB, idB2, "the identity survives the store")
}

// Stores using a fresh schema for the first time at once agree on one
// identity.
func TestStorageIDConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	schema := newSchema()
	const n = 6
	stores := make([]*postgres.Store, n)
	for i := range stores {
		stores[i] = openStore(t, url, postgres.Config{Schema: schema})
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		ids   [n]string
		errs  [n]error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ids[i], errs[i] = stores[i].StorageID(t.Context())
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.Len(t, ids[0], 36, "a UUID")
}

func TestOpenNeedsURL(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(t.Context(), "", postgres.Config{})
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.ErrorContains(t, err, "postgres: Open needs a connection URL (TASKQ_DATABASE_URL)")
}

func TestSchemaNameValidated(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	for _, bad := range []string{"Taskq", "a-b", `x"; DROP TABLE t; --`, "pg_temp", "information_schema", "1abc",
		strings.Repeat("a", 64)} {
		_, err := postgres.Open(t.Context(), url, postgres.Config{Schema: bad})
		require.ErrorContains(t, err, "Config.Schema", bad)
	}
	openStore(t, url, postgres.Config{Schema: strings.Repeat("a", 63)})
}

// A schema holding the tables of an earlier taskq version (which kept them
// in public, with bookkeeping in public.taskq_schema_migrations) is not
// built over: Open fails, naming it, and changes nothing; the default
// schema starts fresh beside it.
func TestLegacyTablesRefused(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, `
		CREATE TABLE public.taskq_schema_migrations (version integer PRIMARY KEY, name text NOT NULL);
		INSERT INTO public.taskq_schema_migrations VALUES (1, '0001_init.sql');
		CREATE TABLE public.tasks (id uuid PRIMARY KEY);`)
	require.NoError(t, err)
	_, err = postgres.Open(ctx, url, postgres.Config{Schema: "public"})
	require.ErrorContains(t, err, "earlier taskq version")
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT to_regclass('public.schema_migrations') IS NOT NULL").Scan(&exists))
	require.False(t, exists, "nothing created")

	s := openStore(t, url, postgres.Config{})
	_, err = s.CreateTask(ctx, &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "q"})
	require.NoError(t, err)
}
