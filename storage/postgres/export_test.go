package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
)

// templateDB is a database migrated once per test binary; test databases
// are copies of it (CREATE DATABASE … TEMPLATE), so none is migrated again.
const templateDB = "taskq_migrated_template"

// freeDBs holds test databases whose tables were emptied after their test:
// creating a database costs ~150 ms, emptying three tables a few ms, and a
// suite of a hundred parallel cases needs only as many databases as run at
// once.
var freeDBs struct {
	mu   sync.Mutex
	urls []string
}

// NewTestStore returns a store on a database of its own on the package's
// shared server: empty, migrated, used by no other test while t runs. The
// store is closed in t.Cleanup and the database emptied for reuse.
func NewTestStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	pg := testenv.SharedPostgres(t)
	url := takeTestDB(t, pg)
	s, err := Open(context.Background(), url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.Close()
		if t.Failed() {
			t.Logf("postgres server log (tail):\n%s", pg.Log())
		}
		if err := resetTestDB(url); err != nil {
			t.Logf("test database not reused: %v", err)
			return
		}
		freeDBs.mu.Lock()
		freeDBs.urls = append(freeDBs.urls, url)
		freeDBs.mu.Unlock()
	})
	return s
}

func takeTestDB(t testing.TB, pg *testenv.Postgres) string {
	t.Helper()
	freeDBs.mu.Lock()
	if n := len(freeDBs.urls); n > 0 {
		url := freeDBs.urls[n-1]
		freeDBs.urls = freeDBs.urls[:n-1]
		freeDBs.mu.Unlock()
		return url
	}
	freeDBs.mu.Unlock()
	tpl := pg.Template(t, templateDB, func(ctx context.Context, url string) error {
		s, err := Open(ctx, url, Config{})
		if err != nil {
			return err
		}
		return s.Close()
	})
	url, err := pg.CreateDatabase(tpl)
	require.NoError(t, err)
	return url
}

func resetTestDB(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "TRUNCATE taskq.tasks, taskq.task_counts, taskq.owner_usage, taskq.storage_identity, taskq.queue_entries, taskq.queue_counts, taskq.queue_names, taskq.paused_queues, taskq.task_outbox, taskq.task_unique, taskq.schedules")
	return err
}
