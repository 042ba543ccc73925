package storagetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// requireDescending fails unless ids are strictly decreasing (newest
// first, no repeats).
func requireDescending(t *testing.T, ids []string) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		require.Less(t, ids[i], ids[i-1], "ids out of order or repeated at %d", i)
	}
}

func testListTasksPagination(t *testing.T, newStore Factory) {
	t.Run("WalksEveryTaskOnce", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := manyTasks(23)
		require.NoError(t, s.CreateTasks(ctx, ts))
		var sizes []int
		f := taskq.TaskFilter{Limit: 5}
		var got []string
		for {
			page, err := s.ListTasks(ctx, f)
			require.NoError(t, err)
			sizes = append(sizes, len(page.Tasks))
			got = append(got, ids(page.Tasks)...)
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		require.Equal(t, []int{5, 5, 5, 5, 3}, sizes)
		require.Equal(t, reversed(ts), got)
	})

	t.Run("ExactMultipleEndsWithoutCursor", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := manyTasks(10)
		require.NoError(t, s.CreateTasks(ctx, ts))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 5})
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)
		page, err = s.ListTasks(ctx, taskq.TaskFilter{Limit: 5, Cursor: page.NextCursor})
		require.NoError(t, err)
		require.Equal(t, reversed(ts)[5:], ids(page.Tasks))
		require.Empty(t, page.NextCursor, "the last page has no cursor")
	})

	t.Run("WithFilter", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		var want []string
		ts := manyTasks(30)
		for i, task := range ts {
			if i%3 == 0 {
				task.Type = "wanted"
				want = append([]string{task.ID}, want...)
			}
		}
		require.NoError(t, s.CreateTasks(ctx, ts))
		got := listAll(t, ctx, s, taskq.TaskFilter{Type: "wanted", Limit: 3})
		require.Equal(t, want, ids(got))
	})

	t.Run("StableUnderConcurrentInserts", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		initial := manyTasks(40)
		require.NoError(t, s.CreateTasks(ctx, initial))

		done := make(chan struct{})
		var wg sync.WaitGroup
		var insertErr error
		wg.Go(func() {
			for range 500 {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.CreateTask(ctx, newTask()); err != nil {
					insertErr = err
					return
				}
			}
		})

		f := taskq.TaskFilter{Limit: 7}
		var got []string
		for range 1000 {
			page, err := s.ListTasks(ctx, f)
			require.NoError(t, err)
			got = append(got, ids(page.Tasks)...)
			// Inserts between pages, for certain, besides the goroutine's.
			create(t, ctx, s, newTask(), newTask())
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		close(done)
		wg.Wait()
		require.NoError(t, insertErr)

		requireDescending(t, got)
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		for _, task := range initial {
			require.Equal(t, 1, seen[task.ID], "task %s that existed when the listing began", task.ID)
		}
		require.Equal(t, reversed(initial), got[len(got)-len(initial):], "the initial tasks close the listing")
	})

	t.Run("SurvivesDeletedCursorTask", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := manyTasks(9)
		require.NoError(t, s.CreateTasks(ctx, ts))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 3})
		require.NoError(t, err)
		last := page.Tasks[len(page.Tasks)-1]
		require.NoError(t, s.DeleteTask(ctx, last.ID))
		rest := listAll(t, ctx, s, taskq.TaskFilter{Limit: 3, Cursor: page.NextCursor})
		require.Equal(t, reversed(ts)[3:], ids(rest))
	})

	t.Run("InvalidCursor", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		create(t, ctx, s, newTask())
		for _, c := range []string{"%%%not a cursor%%%", "\x00", "*"} {
			_, err := s.ListTasks(ctx, taskq.TaskFilter{Cursor: c})
			require.ErrorIs(t, err, taskq.ErrInvalidInput, "cursor %q", c)
		}
	})
}
