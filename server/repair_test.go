package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
)

// corrupt stores out-of-range times the server cannot encode: on
// PostgreSQL by SQL (timestamptz holds years past 9999), on the Redis
// storage by writing the hash field, on the in-memory storage by writing
// the record directly. field is "updated" (an update
// may fix it) or "created" (none may).
func corrupt(t *testing.T, b *bundle, tk *taskq.Task, field string) {
	t.Helper()
	ctx := t.Context()
	if pg, ok := b.s.store.(*postgres.Store); ok {
		_, err := pg.Pool().Exec(ctx, "UPDATE taskq.tasks SET "+field+" = '10000-01-01T00:00:00Z' WHERE id = $1", tk.ID)
		require.NoError(t, err)
		return
	}
	y10k := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if rs, ok := b.s.store.(*redisstore.Store); ok {
		// The store's time encoding: Unix microseconds, sign bit flipped,
		// 16 hex digits; fields c (created) and u (updated).
		f := map[string]string{"created": "c", "updated": "u"}[field]
		enc := fmt.Sprintf("%016x", uint64(y10k.UnixMicro())^1<<63)
		key := "{" + rs.KeyPrefix() + "}:t:" + tk.ID
		require.NoError(t, rs.Client().Do(ctx, rs.Client().B().Hset().Key(key).FieldValue().FieldValue(f, enc).Build()).Error())
		return
	}
	require.NoError(t, b.s.store.DeleteTask(ctx, tk.ID))
	bad := tk.Clone()
	if field == "created" {
		bad.Created = y10k
	} else {
		bad.Updated = y10k
	}
	_, err := b.s.store.CreateTask(ctx, bad)
	require.NoError(t, err)
}

// logLines returns the JSON log records holding every one of subs.
func logLines(b *bundle, subs ...string) []map[string]any {
	var out []map[string]any
	for line := range strings.SplitSeq(b.log.String(), "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// TestUnencodableRecords stores records with a year-10000 time: listings
// leave them out and report them (never a 500 for the page), reading one
// is a 500 logged at ERROR with the request id, and the repair route
// clamps what an update may change and deletes what it may not.
func TestUnencodableRecords(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{}, be.deps(t), false)
			good := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			fixable := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			hopeless := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			corrupt(t, b, fixable, "updated")
			corrupt(t, b, hopeless, "created")

			w := b.admin(req{method: "GET", path: "/api/tasks"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			page := decode[struct {
				Tasks   []*taskq.Task `json:"tasks"`
				Skipped []string      `json:"skipped"`
			}](t, w)
			require.Len(t, page.Tasks, 1)
			require.Equal(t, good.ID, page.Tasks[0].ID)
			require.Equal(t, []string{hopeless.ID, fixable.ID}, page.Skipped, "newest first")
			rid := w.Header().Get("X-Request-ID")
			lines := logLines(b, "task cannot be encoded", rid)
			require.Len(t, lines, 2)
			require.Equal(t, "ERROR", lines[0]["level"])

			w = b.admin(req{method: "GET", path: "/api/tasks/" + fixable.ID})
			e := requireError(t, w, http.StatusInternalServerError, taskq.CodeInternal)
			lines = logLines(b, "response encoding failed", e.Error.RequestID)
			require.Len(t, lines, 1)
			require.Equal(t, "ERROR", lines[0]["level"])
			require.Contains(t, lines[0]["error"], "year")

			w = b.admin(req{method: "POST", path: "/api/admin/repair"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Equal(t, RepairResult{Scanned: 3, Repaired: 1, Deleted: 1}, decode[RepairResult](t, w))

			w = b.admin(req{method: "GET", path: "/api/tasks"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.NotContains(t, w.Body.String(), "skipped")
			fixed := b.getTask(fixable.ID)
			require.Equal(t, 9999, fixed.Updated.Year(), "clamped to the last encodable instant")
			requireError(t, b.admin(req{method: "GET", path: "/api/tasks/" + hopeless.ID}), http.StatusNotFound, taskq.CodeNotFound)

			// A second run finds nothing to do; a user may not run it.
			w = b.admin(req{method: "POST", path: "/api/admin/repair"})
			require.Equal(t, RepairResult{Scanned: 2}, decode[RepairResult](t, w))
			_, user := b.newKey("u", "user")
			requireError(t, b.do(req{method: "POST", path: "/api/admin/repair", key: user}), http.StatusForbidden, taskq.CodeForbidden)
		})
	}
}

// TestCreateRefusesUnencodable checks the guard of the create path: a
// task whose JSON encoding fails is refused before it is stored.
func TestCreateRefusesUnencodable(t *testing.T) {
	t.Parallel()
	tk := &taskq.Task{ID: taskq.NewID(), Type: "noop", Status: taskq.StatusPending, Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	err := checkStorable(tk)
	require.ErrorIs(t, err, taskq.ErrValidation)
	require.Equal(t, http.StatusUnprocessableEntity, statusOf(taskq.CodeOf(err)))
	tk.Created = time.Now()
	require.NoError(t, checkStorable(tk))
}

// TestRepairDirect runs Repair on a bare in-memory storage, with a result
// that is not JSON and a dead letter entry out of range.
func TestRepairDirect(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	ctx := context.Background()
	now := time.Now().UTC()
	y10k := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	badResult := &taskq.Task{ID: taskq.NewID(), Type: "noop", Status: taskq.StatusCompleted, Queue: taskq.DefaultQueue,
		Created: now, Updated: now, RunAt: now, CompletedAt: &now, Result: json.RawMessage(`{"unterminated`)}
	dead := &taskq.Task{ID: taskq.NewID(), Type: "noop", Status: taskq.StatusDeadLetter, Queue: taskq.DefaultQueue,
		Created: now, Updated: now, RunAt: now, DeadLetteredAt: &y10k}
	for _, tk := range []*taskq.Task{badResult, dead} {
		_, err := b.s.store.CreateTask(ctx, tk)
		require.NoError(t, err)
	}
	res, err := Repair(ctx, b.s.store, b.s.queue, nil)
	require.NoError(t, err)
	require.Equal(t, RepairResult{Scanned: 2, Repaired: 2}, res)
	got, err := b.s.store.GetTask(ctx, badResult.ID)
	require.NoError(t, err)
	require.Nil(t, got.Result)
	n, err := b.s.store.CountDeadLetterTasks(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the entry stays in the DLQ")
	w := b.admin(req{method: "GET", path: "/api/dlq"})
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "9999-12-31T23:59:59.999999Z")
}
