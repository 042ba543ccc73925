package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/pgschema"
	"github.com/taskq/taskq/internal/testenv"
)

// scannedStats is what Queue.Stats answered before the counters: every
// entry of the queue read and classified. The counters must always agree
// with it.
func scannedStats(t *testing.T, pool *pgxpool.Pool, queue string) taskq.QueueStats {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT priority,
		count(*) FILTER (WHERE deadline IS NULL AND run_at <= statement_timestamp()),
		count(*) FILTER (WHERE deadline IS NULL AND run_at > statement_timestamp()),
		count(*) FILTER (WHERE deadline IS NOT NULL)
		FROM taskq.queue_entries WHERE queue = $1 GROUP BY priority`, queue)
	require.NoError(t, err)
	var s taskq.QueueStats
	var prio int16
	var ready, sched, leased int64
	_, err = pgx.ForEachRow(rows, []any{&prio, &ready, &sched, &leased}, func() error {
		s.Ready[prio] = ready
		s.Scheduled += sched
		s.Leased += leased
		return nil
	})
	require.NoError(t, err)
	return s
}

func counterRows(t *testing.T, pool *pgxpool.Pool, queue string) (rows, slots int) {
	t.Helper()
	require.NoError(t, pool.QueryRow(t.Context(),
		`SELECT count(*), count(DISTINCT slot) FROM taskq.queue_counts WHERE queue = $1`, queue).Scan(&rows, &slots))
	return rows, slots
}

// ownPool opens a pool of 8 connections to s's database, for a test that
// closes it to end those connections (the caller closes it).
func ownPool(t *testing.T, ctx context.Context, s *Store) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(s.pool.Config().ConnString())
	require.NoError(t, err)
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	return pool
}

// waitSlotsEnded waits until no counter row of table (task_counts or
// queue_counts) outside slot 0 belongs to a live connection: the server
// has seen the closed pool's connections end.
func waitSlotsEnded(t *testing.T, ctx context.Context, pool *pgxpool.Pool, table string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM taskq.`+table+`
			WHERE slot <> 0 AND slot IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)`).Scan(&n))
		return n == 0
	}, 10*time.Second, 20*time.Millisecond)
}

// databaseBefore returns a pool on a new database migrated up to, not
// including, migration version (closed in t.Cleanup) and its URL.
func databaseBefore(t *testing.T, version int) (*pgxpool.Pool, string) {
	t.Helper()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	pool, err := pgxpool.New(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	ms, err := migrations()
	require.NoError(t, err)
	before := slices.IndexFunc(ms, func(m pgschema.Migration) bool { return m.Version == version })
	require.Positive(t, before, "migration %d exists", version)
	_, err = pgschema.Migrate(t.Context(), pool, pgschema.Set{Schema: DefaultSchema, Table: migrationsTable,
		Migrations: ms[:before], Legacy: legacyMigrationsTable})
	require.NoError(t, err)
	return pool, url
}

// TestQueueCountsConcurrentConnections: producers and consumers on many
// connections at once (enqueue ready and scheduled entries, lease, ack,
// requeue with a delay, remove, extend; scheduled entries coming due,
// promoted and leased) leave Stats equal
// to a scan of the entries; once those connections end, a reap folds
// their counter rows into one per priority and the counts do not change.
func TestQueueCountsConcurrentConnections(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pool := ownPool(t, ctx, s) // closed below: its connections end
	q := newQueue(pool, s.q, QueueConfig{})
	const name, workers, per = "counted", 8, 60
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				e := taskq.QueueEntry{ID: fmt.Sprintf("w%d-%03d", w, i), Priority: taskq.TaskPriority(i % taskq.NumPriorities)}
				if i%5 == 0 {
					e.RunAt = time.Now().Add(time.Hour)
				}
				if err := q.Enqueue(ctx, name, e); err != nil {
					t.Error(err)
					return
				}
				leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 2, TTL: time.Minute})
				if err != nil {
					t.Error(err)
					return
				}
				for j, l := range leases {
					switch (i + j) % 4 {
					case 0:
						err = q.Ack(ctx, name, l)
					case 1:
						err = q.Requeue(ctx, name, taskq.QueueEntry{ID: l.ID, Priority: l.Priority, RunAt: time.Now().Add(time.Hour), Token: l.Token})
					case 2:
						_, err = q.Extend(ctx, name, []taskq.Lease{l}, time.Minute)
					case 3:
						err = q.Remove(ctx, name, l.ID)
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())
	// Scheduled entries that come due (an UPDATE that changes no count),
	// then promoted and leased by a lease at the database's time.
	for i := range 6 {
		require.NoError(t, q.Enqueue(ctx, name, taskq.QueueEntry{ID: fmt.Sprint("soon-", i), RunAt: time.Now().Add(time.Hour)}))
	}
	_, err := s.pool.Exec(ctx, `UPDATE taskq.queue_entries SET run_at = statement_timestamp() - interval '1 minute' WHERE id LIKE 'soon-%'`)
	require.NoError(t, err)
	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 3, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 3)
	for i := range 10 {
		require.NoError(t, q.Enqueue(ctx, name, taskq.QueueEntry{ID: fmt.Sprint("ready-", i), Priority: taskq.TaskPriority(i % taskq.NumPriorities)}))
	}

	want := scannedStats(t, s.pool, name)
	require.NotZero(t, want.Scheduled)
	require.NotZero(t, want.Leased)
	require.NotZero(t, want.Total()-want.Scheduled-want.Leased)
	got, err := q.Stats(ctx, name)
	require.NoError(t, err)
	require.Equal(t, want, got)
	rows, slots := counterRows(t, s.pool, name)
	require.Greater(t, slots, 1, "the connections counted in slots of their own")

	require.NoError(t, q.Close())
	pool.Close()
	waitSlotsEnded(t, ctx, s.pool, "queue_counts")
	q2 := s.Queue(QueueConfig{})
	defer q2.Close()
	_, err = q2.Reap(ctx, name, 10, time.Minute)
	require.NoError(t, err)
	after, afterSlots := counterRows(t, s.pool, name)
	require.Equal(t, 1, afterSlots, "only slot 0 is left")
	require.LessOrEqual(t, after, taskq.NumPriorities)
	require.Less(t, after, rows)
	got, err = q2.Stats(ctx, name)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, want, scannedStats(t, s.pool, name))
}

// TestQueueCountsDispatchingStore: the entries a dispatching store
// writes and deletes with its tasks (create one, create many by COPY,
// complete, cancel, dead-letter, delete) are counted like the queue's own.
func TestQueueCountsDispatchingStore(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{Dispatch: true})
	q := s.Queue(QueueConfig{})
	defer q.Close()
	ctx := t.Context()
	var tasks []*taskq.Task
	for i := range 6 {
		tk := newCountsTask(i)
		_, err := s.CreateTask(ctx, tk)
		require.NoError(t, err)
		tasks = append(tasks, tk)
	}
	many := make([]*taskq.Task, 40)
	for i := range many {
		many[i] = newCountsTask(100 + i)
	}
	require.NoError(t, s.CreateTasks(ctx, many))
	check := func(msg string) {
		t.Helper()
		got, err := q.Stats(ctx, "dq")
		require.NoError(t, err)
		require.Equal(t, scannedStats(t, s.pool, "dq"), got, msg)
	}
	check("created")
	require.Equal(t, int64(46), scannedStats(t, s.pool, "dq").Total())

	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: "dq", Max: 10, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 10)
	check("leased")
	started, err := s.StartTasks(ctx, []string{leases[0].ID, leases[1].ID}, time.Time{})
	require.NoError(t, err)
	require.Len(t, started, 2)
	done := started[0]
	prev := done.Status
	now := time.Now().UTC()
	done.Status, done.CompletedAt, done.Updated = taskq.StatusCompleted, &now, now
	require.NoError(t, s.UpdateTask(ctx, done, prev))
	check("completed")
	started[1].Status = taskq.StatusDeadLetter
	started[1].DeadLetteredAt = &now
	_, err = s.MoveTaskToDeadLetter(ctx, started[1], 0)
	require.NoError(t, err)
	check("dead-lettered")
	require.NoError(t, s.DeleteTask(ctx, tasks[0].ID))
	check("deleted")
	require.Equal(t, int64(43), scannedStats(t, s.pool, "dq").Total())
}

func newCountsTask(i int) *taskq.Task {
	now := time.Now().UTC()
	tk := &taskq.Task{ID: taskq.NewID(), Type: "t", Queue: "dq", Status: taskq.StatusPending,
		Priority: taskq.TaskPriority(i % taskq.NumPriorities), Created: now, Updated: now, RunAt: now, MaxRetries: 1}
	if i%3 == 0 {
		tk.RunAt = now.Add(time.Hour)
	}
	return tk
}

// TestQueueCountsMigrationCountsExistingEntries: a database at the
// version before the counters, holding entries ready, scheduled and
// leased, answers Stats exactly after the upgrade.
func TestQueueCountsMigrationCountsExistingEntries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, url := databaseBefore(t, 15)
	_, err := pool.Exec(ctx, `INSERT INTO taskq.queue_entries (queue, id, priority, run_at, deadline, round)
		SELECT 'old', 'e' || i, i % 4, statement_timestamp() + CASE WHEN i % 5 = 0 THEN interval '1 hour' ELSE interval '-1 minute' END,
		       CASE WHEN i % 7 = 0 THEN statement_timestamp() + interval '1 minute' END,
		       CASE WHEN i % 5 <> 0 THEN i END
		FROM generate_series(1, 100) i`)
	require.NoError(t, err)
	want := scannedStats(t, pool, "old")
	require.NotZero(t, want.Scheduled)
	require.NotZero(t, want.Leased)

	s, err := Open(ctx, url, Config{})
	require.NoError(t, err)
	defer s.Close()
	q := s.Queue(QueueConfig{})
	defer q.Close()
	got, err := q.Stats(ctx, "old")
	require.NoError(t, err)
	require.Equal(t, want, got)
}
