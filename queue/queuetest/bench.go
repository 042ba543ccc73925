package queuetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/taskq/taskq"
)

// BenchmarkLimits measures one enqueue, lease and ack of a task on q: as a
// baseline without Limits, then under a type cap with 0 and 900 ready
// entries of a type at its cap ahead of it (which the lease must skip; within the
// default redisqueue.Config.LimitScan).
// newQueue is called once per sub-benchmark.
func BenchmarkLimits(b *testing.B, newQueue func(b *testing.B) taskq.Queue) {
	limits := &taskq.Limits{TypeConcurrency: map[string]int{"capped": 1}}
	cases := []struct {
		name   string
		limits *taskq.Limits
		skip   int
	}{
		{"unlimited", nil, 0},
		{"limited/capped-ahead=0", limits, 0},
		{"limited/capped-ahead=900", limits, 900},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			q := newQueue(b)
			ctx := b.Context()
			name := fmt.Sprintf("bench-limits-%d", time.Now().UnixNano())
			entries := []taskq.QueueEntry{{ID: "holder", Priority: taskq.PriorityMedium, Type: "capped"}}
			for i := range c.skip {
				entries = append(entries, taskq.QueueEntry{ID: fmt.Sprintf("capped-%d", i), Priority: taskq.PriorityMedium, Type: "capped"})
			}
			if err := q.Enqueue(ctx, name, entries...); err != nil {
				b.Fatal(err)
			}
			if got, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 1, TTL: time.Hour, Limits: limits}); err != nil || len(got) != 1 {
				b.Fatalf("lease of the holder: %v %v", got, err)
			}
			b.ResetTimer()
			for i := range b.N {
				id := fmt.Sprintf("free-%d", i)
				if err := q.Enqueue(ctx, name, taskq.QueueEntry{ID: id, Priority: taskq.PriorityMedium, Type: "free"}); err != nil {
					b.Fatal(err)
				}
				p := taskq.LeaseParams{Queue: name, Max: 1, TTL: time.Hour, Limits: c.limits}
				got, err := q.Lease(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				if c.skip > 0 && (len(got) != 1 || got[0].ID != id) {
					b.Fatalf("leased %v, want %s", got, id)
				}
				if c.skip == 0 && len(got) != 1 {
					b.Fatalf("leased %v", got)
				}
				if err := q.Ack(ctx, name, got...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
