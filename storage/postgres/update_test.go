package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestStatusMask(t *testing.T) {
	t.Parallel()
	require.Equal(t, int32(anyStatus), statusMask(nil))
	require.Equal(t, int32(2), statusMask([]taskq.TaskStatus{taskq.StatusRunning}))
	require.Equal(t, int32(1|8|2), statusMask([]taskq.TaskStatus{taskq.StatusPending, taskq.StatusFailed, taskq.StatusRunning}))
	require.Equal(t, int32(0), statusMask([]taskq.TaskStatus{"pending,running"}), "an unknown status matches nothing")
	for i, st := range statusBits {
		require.Equal(t, int32(1)<<i, statusMask([]taskq.TaskStatus{st}), st)
	}
	require.Len(t, statusBits, 6, "statusBits must list every status of the schema's CHECK")
}

// updateOp builds a writer op for UpdateTask(t, expect...) without sending it.
func updateOp(t *testing.T, s *Store, task *taskq.Task, expect ...taskq.TaskStatus) *writeOp {
	t.Helper()
	row, err := s.encodeTask("update task", task, false)
	require.NoError(t, err)
	return &writeOp{ctx: context.Background(), key: row.id, upd: newTaskUpdate(row, task, expect)}
}

// Updates of one task in one batch go in separate statements, applied in
// order; each call gets its own outcome; the rest of the batch shares one
// statement.
func TestUpdatesOfOneTaskInOneBatch(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(3)
	require.NoError(t, s.CreateTasks(ctx, ts))
	a, b, c := ts[0], ts[1], ts[2]

	running := a.Clone()
	running.Status, running.Attempts = taskq.StatusRunning, 1
	done := a.Clone()
	done.Status, done.Attempts, done.Result = taskq.StatusCompleted, 1, []byte(`{"ok":true}`)
	done.CompletedAt = new(time.Now().UTC().Truncate(time.Microsecond))
	late := a.Clone()
	late.Status = taskq.StatusRunning // completed stays completed
	bRunning := b.Clone()
	bRunning.Status = taskq.StatusRunning
	cWrong := c.Clone()
	cWrong.Status = taskq.StatusCompleted

	ops := []*writeOp{
		updateOp(t, s, running, taskq.StatusPending),
		updateOp(t, s, bRunning), // any status
		updateOp(t, s, done, taskq.StatusRunning),
		updateOp(t, s, cWrong, taskq.StatusRunning), // c is pending: conflict
		updateOp(t, s, late, taskq.StatusPending, taskq.StatusRunning),
	}
	before := s.WriterStats()
	require.NoError(t, s.w.send(sortedByKey(ops)))
	after := s.WriterStats()
	require.Equal(t, int64(1), after.Batches-before.Batches)
	require.Equal(t, int64(5), after.Calls-before.Calls)
	require.Equal(t, int64(3), after.Statements-before.Statements, "three updates of a: three statements")

	applied := make([]bool, len(ops))
	for i, op := range ops {
		applied[i] = op.upd.applied
	}
	require.Equal(t, []bool{true, true, true, false, false}, applied)

	got, err := s.GetTask(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, got.Status)
	require.JSONEq(t, `{"ok":true}`, string(got.Result))
	require.Equal(t, done.CompletedAt, got.CompletedAt)
	got, err = s.GetTask(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusRunning, got.Status)
	got, err = s.GetTask(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, got.Status)
}

// sortedByKey orders ops as writer.flush does (stable by task id).
func sortedByKey(ops []*writeOp) []*writeOp {
	out := append([]*writeOp(nil), ops...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].key < out[j-1].key; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Every mutable field UpdateTask names is overwritten, NULLs included.
func TestUpdateOverwritesEveryMutableField(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(1)
	require.NoError(t, s.CreateTasks(ctx, ts))
	stored, err := s.GetTask(ctx, ts[0].ID) // times at the database's precision
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)

	full := stored.Clone()
	full.Status, full.Priority, full.RunAt = taskq.StatusDeadLetter, taskq.PriorityCritical, now.Add(time.Hour)
	full.StartedAt, full.CompletedAt, full.DeadLetteredAt = new(now), new(now.Add(time.Second)), new(now.Add(2*time.Second))
	full.RetryCount, full.Attempts, full.DLQRetryCount = 3, 4, 5
	full.Error = &taskq.TaskError{Code: "boom", Message: "it broke"}
	full.Result = []byte(`{"n":1}`)
	full.Updated = now.Add(3 * time.Second)
	require.NoError(t, s.UpdateTask(ctx, full, taskq.StatusPending))
	got, err := s.GetTask(ctx, full.ID)
	require.NoError(t, err)
	require.Equal(t, full, got)

	bare := stored.Clone() // pending again, every nullable field nil
	require.NoError(t, s.UpdateTask(ctx, bare))
	got, err = s.GetTask(ctx, bare.ID)
	require.NoError(t, err)
	require.Equal(t, bare, got)
}

// Concurrent creates share one INSERT; a second task with an id or an
// (owner, idempotency key) taken earlier in the same statement is not
// stored, as if the calls had run one after another.
func TestInsertsShareOneStatement(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(4)
	ts[0].Owner, ts[0].IdempotencyKey = "alice", "k1"
	ts[1].Owner, ts[1].IdempotencyKey = "alice", "k1" // same key: not stored
	ts[2].Owner, ts[2].IdempotencyKey = "bob", "k1"   // other owner: stored
	dup := ts[3].Clone()                              // same id: not stored
	dup.Type = "other"
	tasks := []*taskq.Task{ts[0], ts[1], ts[2], ts[3], dup}
	ops := make([]*writeOp, len(tasks))
	for i, task := range tasks {
		row, err := s.encodeTask("create task", task, true)
		require.NoError(t, err)
		ops[i] = &writeOp{ctx: context.Background(), key: row.id, ins: &taskInsert{row: row, t: *task}}
	}
	before := s.WriterStats()
	require.NoError(t, s.w.send(sortedByKey(ops)))
	after := s.WriterStats()
	require.Equal(t, int64(1), after.Statements-before.Statements)
	require.Equal(t, int64(5), after.Calls-before.Calls)
	inserted := make([]bool, len(ops))
	for i, op := range ops {
		inserted[i] = op.ins.inserted
	}
	require.Equal(t, []bool{true, false, true, true, false}, inserted)
	for _, task := range []*taskq.Task{ts[0], ts[2], ts[3]} {
		got, err := s.GetTask(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, task.Type, got.Type)
		require.Equal(t, json.Number(fmt.Sprint(task.Metadata["i"])), got.Metadata["i"])
	}
	_, err := s.GetTask(ctx, ts[1].ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)

	// Through the API: the refused call gets the stored task back.
	got, err := s.CreateTask(ctx, ts[1])
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Equal(t, ts[0].ID, got.ID)
}
