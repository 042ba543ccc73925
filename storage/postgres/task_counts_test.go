package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// scannedCounts is what CountTasks answered before the counters: every
// record read and grouped. The counters must always agree with it.
func scannedCounts(t *testing.T, pool *pgxpool.Pool, now time.Time) taskq.TaskCounts {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT queue, type, status, count(*),
		min(run_at) FILTER (WHERE status = 'pending' AND run_at <= $1)
		FROM taskq.tasks GROUP BY queue, type, status`, now)
	require.NoError(t, err)
	out := taskq.TaskCounts{Counts: []taskq.TaskCount{}, OldestPending: map[string]time.Time{}}
	var c taskq.TaskCount
	var oldest *time.Time
	_, err = pgx.ForEachRow(rows, []any{&c.Queue, &c.Type, &c.Status, &c.Count, &oldest}, func() error {
		out.Counts = append(out.Counts, c)
		if oldest != nil {
			if cur, ok := out.OldestPending[c.Queue]; !ok || oldest.Before(cur) {
				out.OldestPending[c.Queue] = oldest.UTC()
			}
		}
		return nil
	})
	require.NoError(t, err)
	out.Sort()
	return out
}

func requireSameCounts(t *testing.T, want, got taskq.TaskCounts) {
	t.Helper()
	require.Equal(t, want.Counts, got.Counts)
	require.Len(t, got.OldestPending, len(want.OldestPending))
	for q, at := range want.OldestPending {
		require.True(t, at.Equal(got.OldestPending[q]), "queue %s: oldest pending %v, want %v", q, got.OldestPending[q], at)
	}
}

// TestTaskCountsConcurrentConnections: records of three owners created
// (one by one and by COPY), started, completed, failed and retried,
// dead-lettered, cancelled and deleted from many connections at once leave
// the counters and the owners' usage equal to a grouped scan of the
// records, without a deadlock (one usage row per owner, locked in
// different orders by different transactions, deadlocked before 0017);
// once those connections end, CountTasks folds their counter and usage
// rows into slot 0 and answers the same.
func TestTaskCountsConcurrentConnections(t *testing.T) {
	t.Parallel()
	base := NewTestStore(t, Config{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pool := ownPool(t, ctx, base) // closed below: its connections end
	s, err := New(ctx, pool, Config{SkipMigrations: true})
	require.NoError(t, err)
	queues, types, owners := []string{"q1", "q2"}, []string{"a", "b", "c"}, []string{"", "alice", "bob"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 30 {
				now := time.Now().UTC()
				mk := func(k int) *taskq.Task {
					tk := &taskq.Task{ID: taskq.NewID(), Type: types[(w+k)%len(types)], Queue: queues[(i+k)%len(queues)],
						Owner: owners[(w+i+k)%len(owners)], Metadata: map[string]any{"k": k},
						Status: taskq.StatusPending, Priority: taskq.PriorityMedium, Created: now, Updated: now,
						RunAt: now.Add(-time.Duration(w*100+i) * time.Millisecond), MaxRetries: 2}
					if k == 2 {
						tk.RunAt = now.Add(time.Hour)
					}
					return tk
				}
				one, many := mk(0), []*taskq.Task{mk(1), mk(2), mk(3)}
				if _, err := s.CreateTask(ctx, one); err != nil {
					t.Error(err)
					return
				}
				if err := s.CreateTasks(ctx, many); err != nil {
					t.Error(err)
					return
				}
				started, err := s.StartTasks(ctx, []string{one.ID, many[0].ID}, now)
				if err != nil || len(started) != 2 {
					t.Error("start", err, len(started))
					return
				}
				at := time.Now().UTC()
				switch i % 4 {
				case 0: // completed
					st := started[0]
					st.Status, st.CompletedAt, st.Updated = taskq.StatusCompleted, &at, at
					err = s.UpdateAttempt(ctx, st, st.Attempts)
				case 1: // failed, to be retried
					st := started[0]
					st.Status, st.RunAt, st.Updated = taskq.StatusFailed, at.Add(time.Minute), at
					err = s.UpdateAttempt(ctx, st, st.Attempts)
				case 2: // dead-lettered
					st := started[0]
					st.Status, st.DeadLetteredAt, st.Updated = taskq.StatusDeadLetter, &at, at
					_, err = s.MoveTaskToDeadLetter(ctx, st, 0)
				case 3: // deleted
					err = s.DeleteTask(ctx, started[0].ID)
				}
				if err != nil {
					t.Error(err)
					return
				}
				c := many[1] // cancelled while scheduled
				c.Status, c.CompletedAt, c.Updated = taskq.StatusCancelled, &at, at
				if err := s.UpdateTask(ctx, c, taskq.StatusPending); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())

	now := time.Now().UTC()
	want := scannedCounts(t, base.pool, now)
	require.GreaterOrEqual(t, len(want.Counts), 12)
	require.Len(t, want.OldestPending, 2)
	got, err := s.CountTasks(ctx, now)
	require.NoError(t, err)
	requireSameCounts(t, want, got)
	requireUsageMatchesRecords(t, base.pool)
	var slots int
	require.NoError(t, base.pool.QueryRow(ctx, `SELECT count(DISTINCT slot) FROM taskq.task_counts`).Scan(&slots))
	require.Greater(t, slots, 1, "the connections counted in slots of their own")

	require.NoError(t, s.Close())
	pool.Close()
	waitSlotsEnded(t, ctx, base.pool, "task_counts")
	base.countsFold.last.Store(0) // fold now, not a minute after the store's last fold
	got, err = base.CountTasks(ctx, now)
	require.NoError(t, err)
	requireSameCounts(t, want, got)
	var rows, keys int
	require.NoError(t, base.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (queue, type, status)) FROM taskq.task_counts
		WHERE slot <> pg_backend_pid()`).Scan(&rows, &keys))
	require.Equal(t, keys, rows, "one row per key left, in slot 0")
	requireUsageMatchesRecords(t, base.pool)
	require.NoError(t, base.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT owner) FROM taskq.owner_usage
		WHERE slot NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)`).Scan(&rows, &keys))
	require.Equal(t, keys, rows, "one usage row per owner left by the ended connections, in slot 0")
}

// TestTaskCountsMigrationCountsExistingRecords: a database at the version
// before the task counters, holding records of every status, counts them
// exactly after the upgrade.
func TestTaskCountsMigrationCountsExistingRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, url := databaseBefore(t, 16)
	_, err := pool.Exec(ctx, `INSERT INTO taskq.tasks (id, type, status, priority, created, updated, queue, run_at)
		SELECT gen_random_uuid(), 't' || (i % 3), (ARRAY['pending','running','completed','failed','cancelled','dead_letter'])[1 + (i / 3) % 6],
		       1, now(), now(), 'q' || ((i / 18) % 2), now() - (i || ' seconds')::interval + CASE WHEN i % 12 = 0 THEN interval '1 day' ELSE interval '0' END
		FROM generate_series(1, 200) i`)
	require.NoError(t, err)
	now := time.Now().UTC()
	want := scannedCounts(t, pool, now)
	require.Len(t, want.Counts, 36)
	require.Len(t, want.OldestPending, 2)

	s, err := Open(ctx, url, Config{})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.CountTasks(ctx, now)
	require.NoError(t, err)
	requireSameCounts(t, want, got)
}

// requireUsageMatchesRecords requires owner_usage to hold, for every
// owner, what a grouped scan of the records gives.
func requireUsageMatchesRecords(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	read := func(sql string) map[string][3]int64 {
		rows, err := pool.Query(t.Context(), sql)
		require.NoError(t, err)
		out := map[string][3]int64{}
		var owner string
		var v [3]int64
		_, err = pgx.ForEachRow(rows, []any{&owner, &v[0], &v[1], &v[2]}, func() error {
			if v != [3]int64{} {
				out[owner] = v
			}
			return nil
		})
		require.NoError(t, err)
		return out
	}
	want := read(`SELECT owner, count(*) FILTER (WHERE active), coalesce(sum(octet_length(metadata::text)), 0),
		count(*) FILTER (WHERE status = 'dead_letter') FROM taskq.tasks GROUP BY owner`)
	require.NotEmpty(t, want)
	require.Equal(t, want, read(`SELECT owner, sum(active), sum(metadata_bytes), sum(dead_letter) FROM taskq.owner_usage GROUP BY owner`))
}

// TestOwnerUsageCountsAcrossUpgrade: usage counted by the row trigger of
// the version before 0017 carries over, and updates after the upgrade
// (counted per statement) keep it equal to the records.
func TestOwnerUsageCountsAcrossUpgrade(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, url := databaseBefore(t, 17)
	_, err := pool.Exec(ctx, `INSERT INTO taskq.tasks (id, type, status, priority, created, updated, queue, run_at, owner, metadata)
		SELECT gen_random_uuid(), 't', 'pending', 1, now(), now(), 'q', now(), (ARRAY['', 'alice', 'bob'])[1 + i % 3], '{"a": 1}'
		FROM generate_series(1, 60) i`)
	require.NoError(t, err)
	// Counted by 0008's row trigger, still installed.
	_, err = pool.Exec(ctx, `UPDATE taskq.tasks SET status = 'dead_letter', dead_lettered_at = now() WHERE id IN (SELECT id FROM taskq.tasks ORDER BY id LIMIT 10)`)
	require.NoError(t, err)
	requireUsageMatchesRecords(t, pool)

	s, err := Open(ctx, url, Config{})
	require.NoError(t, err)
	defer s.Close()
	var ids []string
	rows, err := pool.Query(ctx, `SELECT id::text FROM taskq.tasks WHERE status = 'pending' ORDER BY id LIMIT 30`)
	require.NoError(t, err)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	started, err := s.StartTasks(ctx, ids, time.Now())
	require.NoError(t, err)
	require.Len(t, started, 30)
	requireUsageMatchesRecords(t, pool)
	at := time.Now().UTC()
	for i, st := range started {
		switch i % 3 {
		case 0:
			st.Status, st.CompletedAt = taskq.StatusCompleted, &at
		case 1:
			st.Status, st.RunAt = taskq.StatusFailed, at.Add(time.Minute)
		case 2:
			st.Status, st.DeadLetteredAt = taskq.StatusDeadLetter, &at
		}
		st.Updated = at
		require.NoError(t, s.UpdateAttempt(ctx, st, st.Attempts))
	}
	requireUsageMatchesRecords(t, pool)
	var triggers int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname = 'owner_usage_updated'`).Scan(&triggers))
	require.Zero(t, triggers, "the row trigger is gone")
}
