package merge

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var errClosed = errors.New("closed")

// doubler returns Calls that double their inputs, recording each batch;
// goroutines it starts are waited for by the returned group.
func doubler(max int, closed *atomic.Bool) (*Calls[int, int], *[][]int, *sync.WaitGroup) {
	var mu sync.Mutex
	var batches [][]int
	var wg sync.WaitGroup
	c := &Calls[int, int]{
		Max: max,
		Send: func(b []int) ([]int, error) {
			mu.Lock()
			batches = append(batches, append([]int(nil), b...))
			mu.Unlock()
			out := make([]int, len(b))
			for i, v := range b {
				out[i] = 2 * v
			}
			return out, nil
		},
		Go: func(f func()) bool {
			if closed.Load() {
				return false
			}
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
			return true
		},
		IsClosed: closed.Load,
		Closed:   errClosed,
	}
	return c, &batches, &wg
}

// TestCallsMerge: calls arriving while a batch is in flight go out
// together, at most Max per batch, each with its own result.
func TestCallsMerge(t *testing.T) {
	var closed atomic.Bool
	c, batches, wg := doubler(3, &closed)
	require.Equal(t, 2, mustDo(t, c, 1), "a lone call goes out at once")
	c.Hold()
	res, errs := make([]int, 5), make([]error, 5)
	var calls sync.WaitGroup
	for i := range 5 {
		calls.Add(1)
		go func() {
			defer calls.Done()
			res[i], errs[i] = c.Do(context.Background(), 10+i)
		}()
		require.Eventually(t, func() bool { return c.Pending() == i+1 }, 5*time.Second, time.Millisecond)
	}
	c.Flush()
	calls.Wait()
	wg.Wait()
	require.Equal(t, make([]error, 5), errs)
	require.Equal(t, []int{20, 22, 24, 26, 28}, res)
	require.Equal(t, [][]int{{1}, {10, 11, 12}, {13, 14}}, *batches)
	require.Zero(t, c.Pending())
}

// TestCallsClosed: a call after the owner closed fails with Closed, as do
// the calls left pending when the next batch cannot start; a caller whose
// context ends stops waiting.
func TestCallsClosed(t *testing.T) {
	var closed atomic.Bool
	c, batches, _ := doubler(1, &closed)
	c.Hold()
	errs := make(chan error, 2)
	for i := range 2 {
		go func() { _, err := c.Do(context.Background(), i); errs <- err }()
		require.Eventually(t, func() bool { return c.Pending() == i+1 }, 5*time.Second, time.Millisecond)
	}
	closed.Store(true)
	c.Flush() // sends the first (Max 1); Go refuses the second
	got := []error{<-errs, <-errs}
	require.Contains(t, got, error(nil))
	require.Contains(t, got, errClosed)
	require.Len(t, *batches, 1)
	_, err := c.Do(context.Background(), 5)
	require.ErrorIs(t, err, errClosed)

	closed.Store(false)
	c.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Do(ctx, 6)
	require.ErrorIs(t, err, context.Canceled)
}

func mustDo(t *testing.T, c *Calls[int, int], v int) int {
	out, err := c.Do(context.Background(), v)
	require.NoError(t, err)
	return out
}
