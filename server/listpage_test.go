package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// walk lists path (with query q) page by page as the admin and returns
// the ids in order and the body size of each page. between runs after
// every page.
func walk(t *testing.T, b *bundle, path string, q url.Values, between func()) (ids []string, sizes []int) {
	t.Helper()
	for range 1000 {
		w := b.admin(req{method: "GET", path: path + "?" + q.Encode()})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		sizes = append(sizes, w.Body.Len())
		p := decode[listBody](t, w)
		require.NotEmpty(t, p.Tasks, "every page holds at least one task")
		for _, tk := range p.Tasks {
			ids = append(ids, tk.ID)
		}
		if p.NextCursor == nil {
			return ids, sizes
		}
		q.Set("cursor", *p.NextCursor)
		if between != nil {
			between()
		}
	}
	t.Fatal("listing did not end")
	return nil, nil
}

// TestListPageByteCap lists tasks of about 1.3 KB each with a cap of
// 8 KiB: pages stop early, the cursor continues right after each page's
// last task (no task repeated or skipped, also while new tasks arrive),
// and a task larger than the cap is served alone on its page.
func TestListPageByteCap(t *testing.T) {
	t.Parallel()
	const capBytes = 8 << 10
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{ListMaxBytes: capBytes}, be.deps(t), false)
			md := map[string]any{"blob": strings.Repeat("m", 1000)}
			var created []string
			for range 30 {
				created = append(created, b.createTask(testAdminKey, map[string]any{"type": "noop", "metadata": md}).ID)
			}
			big := b.createTask(testAdminKey, map[string]any{"type": "noop", "metadata": map[string]any{"blob": strings.Repeat("B", 10000)}})
			created = append(created, big.ID)
			slices.Reverse(created) // newest first

			added := 0
			ids, sizes := walk(t, b, "/api/tasks", url.Values{"limit": {"1000"}}, func() {
				// Newer tasks arriving meanwhile are not in this listing.
				b.createTask(testAdminKey, map[string]any{"type": "noop"})
				added++
			})
			require.Equal(t, created, ids, "every task once, newest first")
			require.Greater(t, len(sizes), 4, "pages stopped early: %v", sizes)
			require.Less(t, sizes[0], 11000, "the large task is alone on its page")
			require.Greater(t, sizes[0], 10000)
			for _, n := range sizes[1:] {
				require.LessOrEqual(t, n, capBytes+100, "page sizes %v", sizes)
			}
			require.Greater(t, sizes[1], capBytes-2000, "pages are filled up to the cap: %v", sizes)

			// The limit still applies below the cap.
			ids, _ = walk(t, b, "/api/tasks", url.Values{"limit": {"2"}, "type": {"noop"}}, nil)
			require.Len(t, ids, len(created)+added)
		})
	}
}

// TestDLQPageByteCap does the same on GET /api/dlq (oldest first).
func TestDLQPageByteCap(t *testing.T) {
	t.Parallel()
	const capBytes = 6 << 10
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{ListMaxBytes: capBytes}, be.deps(t), false)
			ctx := context.Background()
			var moved []string
			for i := range 20 {
				tk := b.createTask(testAdminKey, map[string]any{"type": "noop", "metadata": map[string]any{"blob": strings.Repeat("d", 900), "i": i}})
				require.NoError(t, b.s.dlqJob.Move(ctx, tk, errors.New("gave up")))
				moved = append(moved, tk.ID)
			}
			ids, sizes := walk(t, b, "/api/dlq", url.Values{"limit": {"500"}}, nil)
			require.Equal(t, moved, ids, "every entry once, oldest first")
			require.Greater(t, len(sizes), 3, "pages stopped early: %v", sizes)
			for _, n := range sizes {
				require.LessOrEqual(t, n, capBytes+100, "page sizes %v", sizes)
			}
		})
	}
}

// TestListPageCapSetting reads TASKQ_LIST_MAX_BYTES.
func TestListPageCapSetting(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(nil, func(k string) string {
		return map[string]string{"TASKQ_LIST_MAX_BYTES": "65536"}[k]
	})
	require.NoError(t, err)
	require.Equal(t, 65536, c.ListMaxBytes)
	require.Equal(t, DefaultListMaxBytes, DefaultConfig().ListMaxBytes)
	_, err = LoadConfig([]string{"--list-max-bytes", "0"}, func(string) string { return "" })
	require.ErrorContains(t, err, "--list-max-bytes")
}
