package redisstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
)

// walk lists every page of f and returns the ids in order, with the
// number of pages that came back short (fewer than f.Limit tasks) but
// with a cursor.
func walk(t *testing.T, s *redisstore.Store, f taskq.TaskFilter) (ids []string, short int) {
	t.Helper()
	ctx := ctxT(t)
	for range 1000 {
		page, err := s.ListTasks(ctx, f)
		require.NoError(t, err)
		for _, tk := range page.Tasks {
			ids = append(ids, tk.ID)
		}
		if page.NextCursor == "" {
			return ids, short
		}
		if len(page.Tasks) < f.Limit {
			short++
		}
		f.Cursor = page.NextCursor
	}
	t.Fatal("listing did not end")
	return nil, 0
}

// TestShortPagesAreNeverWrong lists with a scan limit (6 ids per call)
// far below the distance between matches: pages come back short, most of
// them empty, with cursors, and walking them yields exactly the matching
// tasks, newest first, each once.
func TestShortPagesAreNeverWrong(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	s := newStore(t, srv.URL(), redisstore.Config{ScanBatch: 3, ScanLimit: 6})
	ctx := ctxT(t)
	base := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
	statuses := []taskq.TaskStatus{taskq.StatusPending, taskq.StatusFailed, taskq.StatusCompleted}
	ts := make([]*taskq.Task, 120)
	for i := range ts {
		ts[i] = task(func(t *taskq.Task) {
			t.Status = statuses[i%3]
			t.Updated = base.Add(time.Duration(i) * time.Minute)
			if i%17 == 0 {
				t.Owner = "bob"
			}
		})
	}
	require.NoError(t, s.CreateTasks(ctx, ts))
	want := func(keep func(int, *taskq.Task) bool) []string {
		var ids []string
		for i, tk := range slices.Backward(ts) {
			if keep(i, tk) {
				ids = append(ids, tk.ID)
			}
		}
		return ids
	}

	t.Run("OwnerIndexHoldsOnlyMatches", func(t *testing.T) {
		got, short := walk(t, s, taskq.TaskFilter{Owner: "bob", Limit: 2})
		require.Equal(t, want(func(i int, _ *taskq.Task) bool { return i%17 == 0 }), got)
		require.Zero(t, short)
	})
	t.Run("OwnerAndStatusChecked", func(t *testing.T) {
		// Picks the owner index (7 ids) over the status index (40).
		got, _ := walk(t, s, taskq.TaskFilter{Owner: "bob", Statuses: statuses[:1], Limit: 2})
		require.Equal(t, want(func(i int, _ *taskq.Task) bool { return i%17 == 0 && i%3 == 0 }), got)
	})
	t.Run("ThreeStatusIndexesMerged", func(t *testing.T) {
		got, _ := walk(t, s, taskq.TaskFilter{Statuses: statuses, Limit: 4})
		require.Equal(t, want(func(int, *taskq.Task) bool { return true }), got)
		got, _ = walk(t, s, taskq.TaskFilter{Statuses: statuses[1:], Limit: 4})
		require.Equal(t, want(func(i int, _ *taskq.Task) bool { return i%3 != 0 }), got)
	})
	t.Run("UpdatedBeforeScansTheAllIndex", func(t *testing.T) {
		f := taskq.TaskFilter{UpdatedBefore: base.Add(3 * time.Minute), Limit: 1000}
		page, err := s.ListTasks(ctx, f)
		require.NoError(t, err)
		require.Empty(t, page.Tasks, "the 6 newest ids examined match nothing")
		require.NotEmpty(t, page.NextCursor, "the cursor continues where the scan stopped")
		got, short := walk(t, s, f)
		require.Equal(t, want(func(i int, _ *taskq.Task) bool { return i < 3 }), got)
		require.Greater(t, short, 15, "117 non-matching ids at 6 per call")
	})
}
