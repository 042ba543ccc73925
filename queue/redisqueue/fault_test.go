package redisqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestRestartLosesNothing consumes 10,000 tasks with four consumers while
// redis-server (appendonly yes, appendfsync always) is restarted gracefully
// once and killed with SIGKILL once. Consumers retry on errors, which must
// all match taskq.ErrUnavailable, and reap leases whose replies were lost.
// Every id must be acknowledged at least once and the queue must end empty.
func TestRestartLosesNothing(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t, testenv.WithAppendOnly())
	q := newQueue(t, srv.URL(), redisqueue.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const total = 10000
	const name = "fault"
	var entries []taskq.QueueEntry
	for i := range total {
		entries = append(entries, taskq.QueueEntry{ID: fmt.Sprintf("t-%05d", i), Priority: taskq.TaskPriority(i % 4)})
	}
	require.NoError(t, q.Enqueue(ctx, name, entries...))

	var (
		mu        sync.Mutex
		acked     = map[string]int{}
		transient atomic.Int64
		badErr    atomic.Value
	)
	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	// retry reports whether err is nil; a transient error is counted and
	// backed off, any other error is recorded and stops the test.
	retry := func(err error) bool {
		if err == nil {
			return true
		}
		if ctx.Err() == nil && !isUnavailable(err) {
			badErr.CompareAndSwap(nil, err)
			cancel()
		}
		transient.Add(1)
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
		return false
	}
	// ack retries until Ack succeeds: an Ack whose reply was lost may have
	// been applied, and acknowledging an absent id is not an error.
	ack := func(ls []taskq.Lease) {
		for !retry(q.Ack(ctx, name, ls...)) {
			if ctx.Err() != nil {
				return
			}
		}
		mu.Lock()
		for _, l := range ls {
			acked[l.ID]++
		}
		mu.Unlock()
	}
	const ttl = time.Second
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() }) // also when a check below fails
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil && ackedCount() < total {
				ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 25, TTL: ttl})
				if !retry(err) {
					continue
				}
				if len(ls) > 0 {
					ack(ls)
					continue
				}
				reaped, err := q.Reap(ctx, name, 100, ttl)
				if !retry(err) {
					continue
				}
				if len(reaped) > 0 {
					ack(reaped)
					continue
				}
				// Nothing ready or expired: leases whose replies were lost
				// are still running out.
				_ = q.Wait(ctx, name, 100*time.Millisecond)
			}
		})
	}

	waitFor(t, 30*time.Second, func() bool { return ackedCount() >= total/4 }, "a quarter consumed")
	t.Logf("graceful restart after %d acknowledged", ackedCount())
	srv.Restart(t)
	// On a loaded machine more than a quarter may be done before the
	// restart: the target is capped at the total.
	next := min(total, ackedCount()+total/4)
	waitFor(t, 30*time.Second, func() bool { return ackedCount() >= next }, "consuming after the restart")
	t.Logf("SIGKILL and start after %d acknowledged", ackedCount())
	srv.Kill(t)
	srv.Start(t)
	wg.Wait()

	if err, _ := badErr.Load().(error); err != nil {
		t.Fatalf("non-transient error: %v", err)
	}
	if ctx.Err() != nil {
		st, err := q.Stats(context.Background(), name)
		t.Fatalf("consumers did not finish: %d of %d acknowledged, %d transient errors; stats %+v (%v)",
			ackedCount(), total, transient.Load(), st, err)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, acked, total, "every id acknowledged")
	for _, e := range entries {
		require.GreaterOrEqual(t, acked[e.ID], 1, e.ID)
	}
	dup := 0
	for _, n := range acked {
		dup += n - 1
	}
	st, err := q.Stats(ctx, name)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "queue empty at the end: %+v", st)
	t.Logf("10000 tasks: %d transient errors, %d ids acknowledged twice or more", transient.Load(), dup)
}

func isUnavailable(err error) bool {
	var te *taskq.Error
	return errors.As(err, &te) && te.Code == taskq.CodeServiceUnavailable && te.Retryable
}
