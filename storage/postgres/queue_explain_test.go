package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// planCase is a statement whose plan is checked.
type planCase struct {
	name  string
	sql   string
	args  []any
	index string // the queue_entries index the plan must use, when it matters
}

// TestExplainQueueUsesIndexes loads a queue table with a realistic mix
// (ready entries of every priority, scheduled ones, leases, other queues),
// runs ANALYZE and checks that the plan of every Queue statement on a hot
// path reads an index of queue_entries and no sequential scan. Run it with
// -v to see the plans; docs/postgres.md shows them.
func TestExplainQueueUsesIndexes(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	q := s.Queue(QueueConfig{})
	defer q.Close()
	ctx := t.Context()
	now := time.Now()
	queues := []string{"default", "emails", "reports", "bulk"}
	for qi, name := range queues {
		for b := range 5 {
			entries := make([]taskq.QueueEntry, 1000)
			for i := range entries {
				n := b*1000 + i
				e := taskq.QueueEntry{ID: fmt.Sprintf("%s-%05d", name, n), Priority: taskq.TaskPriority(n % taskq.NumPriorities)}
				if n%4 == 0 {
					e.RunAt = now.Add(time.Duration(n) * time.Second) // scheduled
				}
				entries[i] = e
			}
			require.NoError(t, q.Enqueue(ctx, name, entries...))
		}
		leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 1000 + 500*qi, TTL: time.Hour})
		require.NoError(t, err)
		require.NotEmpty(t, leases)
	}
	_, err := s.pool.Exec(ctx, "ANALYZE taskq.queue_entries")
	require.NoError(t, err)

	ids := []string{"default-00001", "default-00002", "default-04999"}
	toks := []int64{0, 5, 9}
	weights := []int32{1, 2, 3, 4}
	floors := []int64{0, 10, noFloor, 3}
	cases := []planCase{
		{"Lease (promotion)", q.sql.promote, []any{"default", nil, q.promoteKey("default"), promoteMax}, "queue_entries_unrounded_idx"},
		{"Lease (strict)", q.sql.leaseStrict, []any{"default", nil, 16, int64(60e6), floors}, "queue_entries_ready_idx"},
		{"Lease (weighted)", q.sql.leaseWeighted, []any{"default", nil, 16, int64(60e6), weights, floors}, "queue_entries_ready_idx"},
		{"LeaseAndStart (strict)", q.sql.leaseStartStrict, []any{"default", nil, 16, int64(60e6), now, 8, floors}, "queue_entries_ready_idx"},
		{"LeaseAndStart (weighted)", q.sql.leaseStartWeighted, []any{"default", nil, 16, int64(60e6), weights, now, 8, floors}, "queue_entries_ready_idx"},
		{"Reap", q.sql.reap, []any{"default", 100, int64(60e6)}, "queue_entries_leased_idx"},
		{"Stats (leases and scheduled entries only)", q.sql.stats, []any{"default"}, "queue_entries_unrounded_idx"},
		{"Stats (leases and scheduled entries only)", q.sql.stats, []any{"default"}, "queue_entries_leased_idx"},
		{"Wait (earliest run-at)", q.sql.nextDue, []any{"default"}, "queue_entries_unrounded_idx"},
		{"Wait (earliest run-at, ready)", q.sql.nextDue, []any{"default"}, "queue_entries_ready_idx"},
		{"Extend", q.sql.extend, []any{"default", ids, int64(60e6), toks}, "queue_entries_pkey"},
		{"Ack", q.sql.ack, []any{"default", ids, toks}, "queue_entries_pkey"},
		{"Remove", q.sql.remove, []any{"default", ids}, "queue_entries_pkey"},
		{"Requeue", q.sql.requeue, []any{"default", ids[0], int16(1), nil, q.lis.channel, "", "o"}, ""},
		{"Requeue (fenced)", q.sql.requeueLease, []any{"default", ids[0], int16(1), nil, q.lis.channel, int64(7)}, "queue_entries_pkey"},
		{"Enqueue", q.sql.enqueue, []any{"default", ids, []int16{1, 1, 1}, []*time.Time{nil, nil, nil}, []string{"", "", ""}, []string{"a", "b", "a"}}, ""},
	}
	// The statements of a dispatching store that delete entries (their
	// task side is the store's statement, checked on a loaded tasks table
	// by TestExplainHotQueriesUseIndexes; the tasks table is empty here).
	dq := newQueries(DefaultSchema)
	dq.useDispatch()
	tid := taskq.NewID()
	at := now.UTC()
	mask := statusMask([]taskq.TaskStatus{taskq.StatusRunning})
	cases = append(cases,
		planCase{"UpdateTask with Dispatch (entry deleted)", dq.updateTask, []any{tid, "completed", int16(1), at, nil, at,
			int32(0), int32(1), nil, nil, int32(0), nil, at, mask, int32(1)}, "queue_entries_pkey"},
		planCase{"UpdateTask with Dispatch (3 calls in one statement)", dq.updateTasks, []any{[]string{tid, taskq.NewID(), taskq.NewID()},
			[]string{"completed", "cancelled", "completed"}, []int16{1, 1, 1}, []time.Time{at, at, at},
			[]*time.Time{nil, nil, nil}, []*time.Time{&at, &at, &at}, []int32{0, 0, 0}, []int32{1, 1, 1},
			[][]byte{nil, nil, nil}, [][]byte{nil, nil, nil}, []int32{0, 0, 0}, []*time.Time{nil, nil, nil},
			[]time.Time{at, at, at}, []int32{mask, mask, mask}, []int32{1, -1, 1}}, "queue_entries_pkey"},
		planCase{"MoveTaskToDeadLetter with Dispatch (entry deleted)", dq.deleteEntryOfTask, []any{tid}, "queue_entries_pkey"},
		planCase{"DeleteTask with Dispatch", dq.deleteTask, []any{tid}, "queue_entries_pkey"},
	)
	var doc strings.Builder
	for _, c := range cases {
		rows, err := s.pool.Query(ctx, "EXPLAIN (COSTS OFF) "+c.sql, c.args...)
		require.NoError(t, err, c.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, c.name)
		plan := strings.Join(lines, "\n")
		fmt.Fprintf(&doc, "-- %s\n%s\n\n", c.name, plan)
		require.NotContains(t, plan, "Seq Scan on queue_entries", "%s:\n%s", c.name, plan)
		if c.index != "" {
			require.Contains(t, plan, " "+c.index, "%s:\n%s", c.name, plan)
		}
		if c.index == "queue_entries_ready_idx" && strings.HasPrefix(c.name, "Lease") {
			// The round floors bound the index range (queue_floor.go).
			require.Regexp(t, `Index Cond: .*\(round >= `, plan, "%s:\n%s", c.name, plan)
		}
	}
	t.Logf("plans with %d entries in %d queues after ANALYZE:\n%s", 5000*len(queues), len(queues), doc.String())
}
