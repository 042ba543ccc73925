package reliability

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestSIGTERMUnderLoad: a node running 500 tasks at once gets SIGTERM.
// It exits within its shutdown timeout; each task either finished or was
// given back (pending, no retry used); a second node then completes them
// all.
func TestSIGTERMUnderLoad(t *testing.T) {
	const n, shutdown = 500, 3 * time.Second
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			b := startBackends(t, d)
			client, store := b.client(t)
			c := newCluster(t, b, map[string]string{
				"TASKQ_CONCURRENCY": "500", "TASKQ_SHUTDOWN_TIMEOUT": shutdown.String(),
				"TASKQ_REL_LEASE_TTL": "10s", "TASKQ_REL_HEARTBEAT": "500ms",
			})
			// Half finish within the shutdown timeout, half cannot.
			ids := enqueueWork(t, client, n/2, 500, 1500)
			ids = append(ids, enqueueWork(t, client, n/2, 60000, 60000)...)
			first := c.start()
			deadline := time.Now().Add(60 * time.Second)
			for len(c.executions()) < n {
				require.True(t, time.Now().Before(deadline), "only %d of %d tasks started", len(c.executions()), n)
				time.Sleep(100 * time.Millisecond)
			}
			sent := time.Now()
			require.NoError(t, first.cmd.Process.Signal(syscall.SIGTERM))
			select {
			case <-first.exited:
			case <-time.After(shutdown + 10*time.Second):
				t.Fatalf("node did not exit within %s of SIGTERM", shutdown+10*time.Second)
			}
			exitTook := time.Since(sent)
			require.NoError(t, first.err, "clean exit\n%s", tail(first.stderr.String(), 2000))

			got, tasks, missing := statuses(t, store, ids)
			require.Zero(t, missing)
			for _, tk := range tasks {
				require.Contains(t, []taskq.TaskStatus{taskq.StatusCompleted, taskq.StatusPending}, tk.Status, "task %s after SIGTERM", tk.ID)
				require.Zero(t, tk.RetryCount, "a shutdown uses no retry: %s", tk.ID)
			}
			require.Equal(t, n/2, got[taskq.StatusCompleted], "the short tasks finished within the shutdown timeout")
			require.Equal(t, n/2, got[taskq.StatusPending], "the long tasks were given back")

			// Given back means runnable: a new node starts every long task
			// again.
			c.start()
			long := ids[n/2:]
			for {
				execs, again := c.executions(), 0
				for _, id := range long {
					if execs[id] >= 2 {
						again++
					}
				}
				if again == len(long) {
					break
				}
				require.True(t, time.Now().Before(deadline.Add(60*time.Second)), "only %d of %d given-back tasks started again", again, len(long))
				time.Sleep(100 * time.Millisecond)
			}
			record(t, drainColumns, row{scenario: "SIGTERM with 500 running", deployment: d.name, cells: map[string]string{
				"tasks": itoa(n), "completed": itoa(got[taskq.StatusCompleted]) + " + " + itoa(got[taskq.StatusPending]) + " given back",
				"lost": itoa(missing), "retries used": "0", "took": "exit " + exitTook.Round(100*time.Millisecond).String(),
			}})
			require.LessOrEqual(t, exitTook, shutdown+3*time.Second, "shutdown bounded by its timeout")
		})
	}
}
