package reliability

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestKillWorkers: three node processes drain tasks while a controller
// SIGKILLs a random one every few seconds and starts a replacement. At the
// end every task is completed and none is lost; the handler-side count of
// repeated executions is reported (at-least-once: a killed node's running
// tasks run again after their lease expires).
func TestKillWorkers(t *testing.T) {
	n, every, minMS, maxMS, bound := 3000, 1500*time.Millisecond, 20, 120, 3*time.Minute
	if full() {
		n, every, minMS, maxMS, bound = 20000, 3*time.Second, 20, 120, 15*time.Minute
	}
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			b := startBackends(t, d)
			client, store := b.client(t)
			c := newCluster(t, b, map[string]string{
				"TASKQ_REL_LEASE_TTL": "4s", "TASKQ_REL_HEARTBEAT": "200ms",
				"TASKQ_RETRY_BASE_DELAY": "100ms", "TASKQ_RETRY_MAX_DELAY": "1s",
			})
			ids := enqueueWork(t, client, n, minMS, maxMS)
			start := time.Now()
			for range 3 {
				c.start()
			}
			ctx, cancel := context.WithTimeout(t.Context(), bound)
			defer cancel()
			tick := time.NewTicker(every)
			defer tick.Stop()
			poll := time.NewTicker(200 * time.Millisecond)
			defer poll.Stop()
		loop:
			for {
				select {
				case <-ctx.Done():
					t.Errorf("tasks still unfinished after %s", bound)
					break loop
				case <-tick.C:
					c.killRandom()
					c.start()
				case <-poll.C:
					left, err := unfinished(ctx, store)
					require.NoError(t, err)
					if !left {
						break loop
					}
				}
			}
			took := time.Since(start)
			got, tasks, missing := statuses(t, store, ids)
			execs := c.executions()
			total, retries := 0, 0
			for _, id := range ids {
				total += execs[id]
			}
			for _, tk := range tasks {
				retries += tk.RetryCount
			}
			neverRan := 0
			for _, id := range ids {
				if execs[id] == 0 {
					neverRan++
				}
			}
			record(t, drainColumns, row{scenario: "SIGKILL a worker every " + every.String(), deployment: d.name, cells: map[string]string{
				"tasks": itoa(n), "kills": itoa(c.kills), "completed": itoa(got[taskq.StatusCompleted]),
				"lost": itoa(missing), "not completed": itoa(n - got[taskq.StatusCompleted] - missing),
				"executions": itoa(total), "repeated": itoa(total - (n - neverRan)), "retries used": itoa(retries),
				"took": took.Round(100 * time.Millisecond).String(),
			}})
			require.Zero(t, missing, "records lost")
			require.Equal(t, n, got[taskq.StatusCompleted], "every task completed: %v", got)
			require.Zero(t, neverRan, "a completed task whose handler never started")
			require.Positive(t, c.kills)
		})
	}
}
