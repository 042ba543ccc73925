package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestRoundFloorsRecord(t *testing.T) {
	var f roundFloors
	low := func(r ...int64) [taskq.NumPriorities]int64 {
		out := [taskq.NumPriorities]int64{noFloor, noFloor, noFloor, noFloor}
		copy(out[:], r)
		return out
	}
	floors, bounded := f.get("q")
	require.False(t, bounded, "no lease yet")
	require.Equal(t, unbounded, floors)

	f.record("q", false, false, low(5, 6))
	_, bounded = f.get("q")
	require.False(t, bounded, "a lease that was not full sets no floors")

	f.record("q", false, true, low(noFloor, 7))
	floors, bounded = f.get("q")
	require.True(t, bounded)
	require.Equal(t, []int64{noFloor, 7, noFloor, noFloor}, floors)
	_, bounded = f.get("other")
	require.False(t, bounded, "floors are per queue")

	f.record("q", true, true, low(3, 9))
	floors, _ = f.get("q")
	require.Equal(t, []int64{3, 9, noFloor, noFloor}, floors, "a full bounded lease raises the floors")
	f.record("q", true, true, low(noFloor, 8))
	floors, _ = f.get("q")
	require.Equal(t, []int64{3, 9, noFloor, noFloor}, floors, "and never lowers them")

	f.record("q", true, false, low(10))
	_, bounded = f.get("q")
	require.False(t, bounded, "a bounded lease that was not full drops them")
	f.record("q", true, true, low(10))
	_, bounded = f.get("q")
	require.False(t, bounded, "a bounded lease cannot set floors")

	f.record("q", false, true, low(1))
	f.m["q"].set = time.Now().Add(-floorTTL)
	_, bounded = f.get("q")
	require.False(t, bounded, "floors expire")
}

// TestLeaseBelowRoundFloor puts a ready entry below the queue's round
// floors (as a new owner's first entry can land, its round taken from a
// snapshot older than the last lease) and checks that it is leased by the
// first lease the floors keep from being full, and by the first lease
// after they expire.
func TestLeaseBelowRoundFloor(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	q := s.Queue(QueueConfig{})
	defer q.Close()
	ctx := t.Context()
	ids := func(ls []taskq.Lease) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.ID
		}
		return out
	}
	entries := make([]taskq.QueueEntry, 300)
	for i := range entries {
		entries[i] = taskq.QueueEntry{ID: fmt.Sprintf("e%03d", i), Priority: taskq.PriorityMedium}
	}
	require.NoError(t, q.Enqueue(ctx, "default", entries...))
	lowest := func() int64 {
		var r int64
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT min(round) FROM taskq.queue_entries
			WHERE queue = 'default' AND deadline IS NULL`).Scan(&r))
		return r
	}
	// sink moves entry id below every round leased so far.
	sink := func(id string) {
		ct, err := s.pool.Exec(ctx, `UPDATE taskq.queue_entries SET round = $2 WHERE queue = 'default' AND id = $1`, id, lowest()-1000)
		require.NoError(t, err)
		require.EqualValues(t, 1, ct.RowsAffected())
	}

	first, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 100, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, first, 100)
	_, bounded := q.floors.get("default")
	require.True(t, bounded, "a full lease sets the floors")

	sink("e250")
	second, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 100, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, second, 100)
	require.NotContains(t, ids(second), "e250", "behind the floors while a full lease is found above them")

	// 100 ready entries remain, e250 among them: the floors find 99.
	third, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 150, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, third, 100)
	require.Contains(t, ids(third), "e250", "leased at once by the lease the floors kept from being full")

	// After the floors expire, the next lease reads from the start.
	more := make([]taskq.QueueEntry, 300)
	for i := range more {
		more[i] = taskq.QueueEntry{ID: fmt.Sprintf("f%03d", i), Priority: taskq.PriorityMedium}
	}
	require.NoError(t, q.Enqueue(ctx, "default", more...))
	full, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 100, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, full, 100)
	_, bounded = q.floors.get("default")
	require.True(t, bounded)
	sink("f290")
	q.floors.mu.Lock()
	q.floors.m["default"].set = time.Now().Add(-floorTTL) // as a second later
	q.floors.mu.Unlock()
	next, err := q.Lease(ctx, taskq.LeaseParams{Queue: "default", Max: 1, TTL: time.Minute})
	require.NoError(t, err)
	require.Equal(t, []string{"f290"}, ids(next), "the lowest round first once the floors expired")
}
