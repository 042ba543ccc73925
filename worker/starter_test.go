package worker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// gatedStarts is a storage whose first StartTasks call waits for release,
// and which records the ids of every StartTasks call.
type gatedStarts struct {
	taskq.StorageAdapter
	entered chan struct{}
	release chan struct{}

	mu    sync.Mutex
	calls [][]string
}

func (g *gatedStarts) StartTasks(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	g.mu.Lock()
	first := len(g.calls) == 0
	g.calls = append(g.calls, append([]string(nil), ids...))
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
	return g.StorageAdapter.StartTasks(ctx, ids, now)
}

// TestStarterBatchesStarts: starts that arrive while a StartTasks call is
// in flight go out together in one call when it returns, each caller
// getting its own record; a lease lost while its start waits is refused
// and its record left alone; two leases of one id never share a call, so
// they get distinct attempt numbers.
func TestStarterBatchesStarts(t *testing.T) {
	ctx := context.Background()
	g := &gatedStarts{StorageAdapter: storage.NewMemory(), entered: make(chan struct{}), release: make(chan struct{})}
	w, err := New(g, queue.NewMemory(), Config{})
	require.NoError(t, err)
	c, err := taskq.NewClient(g.StorageAdapter, queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	ids := make([]string, 5)
	for i := range ids {
		tk, err := c.NewTask("noop", nil)
		require.NoError(t, err)
		_, err = g.CreateTask(ctx, tk)
		require.NoError(t, err)
		ids[i] = tk.ID
	}
	now := time.Now()
	lease := func(id string, token int64) *heldLease {
		l := w.held.addAll("q", []taskq.Lease{{ID: id, Token: token}}, now, now.Add(time.Hour))[0]
		require.NoError(t, w.held.begin(l))
		return l
	}

	first := make(chan *startCall, 1)
	go func() { first <- w.starter.start(lease(ids[0], 1)) }()
	<-g.entered // the first call is in flight, alone

	// Behind it: ids 1 to 4, and a second lease of id 1.
	waiting := []*heldLease{lease(ids[1], 2), lease(ids[2], 3), lease(ids[3], 4), lease(ids[4], 5), lease(ids[1], 6)}
	results := make(chan *startCall, len(waiting))
	for _, l := range waiting {
		go func() { results <- w.starter.start(l) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.starter.mu.Lock()
		n := len(w.starter.next)
		w.starter.mu.Unlock()
		if n == len(waiting) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the starts did not queue behind the call in flight")
		time.Sleep(time.Millisecond)
	}
	w.held.lose("q", waiting[2].lease, taskq.ErrLeaseLost) // ids[3], lost while waiting
	close(g.release)

	c0 := <-first
	require.NoError(t, c0.err)
	require.NotNil(t, c0.task)
	require.Equal(t, 1, c0.task.Attempts)
	byToken := map[int64]*startCall{}
	for range waiting {
		r := <-results
		byToken[r.held.lease.Token] = r
	}
	require.ErrorIs(t, byToken[4].refused, taskq.ErrLeaseLost)
	require.Nil(t, byToken[4].task)
	for _, tok := range []int64{2, 3, 5, 6} {
		require.NoError(t, byToken[tok].refused, "token %d", tok)
		require.NoError(t, byToken[tok].err, "token %d", tok)
		require.NotNil(t, byToken[tok].task, "token %d", tok)
		require.Equal(t, byToken[tok].held.lease.ID, byToken[tok].task.ID)
	}
	require.ElementsMatch(t, []int{1, 2}, []int{byToken[2].task.Attempts, byToken[6].task.Attempts},
		"two leases of one id got the same attempt")

	g.mu.Lock()
	calls := g.calls
	g.mu.Unlock()
	require.Len(t, calls, 3, "one call alone, one batch, one for the repeated id: %v", calls)
	require.Equal(t, []string{ids[0]}, calls[0])
	require.ElementsMatch(t, []string{ids[1], ids[2], ids[4]}, calls[1], "the lost lease's id was sent")
	require.Equal(t, []string{ids[1]}, calls[2])

	lost, err := g.GetTask(ctx, ids[3])
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, lost.Status)
	require.Zero(t, lost.Attempts, "the record of a lost lease was started")
}
