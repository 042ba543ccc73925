package reliability

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// failoverColumns are the columns of the maintenance failover scenario.
var failoverColumns = []string{"tasks", "on the leader", "elected after", "bound", "completed", "lost", "took"}

// electedMsg is the log line of a worker elected for maintenance.
const electedMsg = `"msg":"elected to run maintenance"`

// TestKillMaintenanceLeader SIGKILLs the node elected for maintenance
// (reaper, reconciler, retention) while it runs tasks: another node is
// elected within the election TTL plus its retry interval (2s + 0.67s,
// plus process scheduling slack), reaps the tasks the dead node left once
// their leases expire, and every task completes.
func TestKillMaintenanceLeader(t *testing.T) {
	const ttl = 2 * time.Second
	bound := ttl + ttl/3
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			b := startBackends(t, d)
			client, store := b.client(t)
			c := newCluster(t, b, map[string]string{
				"TASKQ_REL_LEASE_TTL": "2s", "TASKQ_REL_HEARTBEAT": "100ms", "TASKQ_LOG_LEVEL": "info",
				"TASKQ_ELECTION_TTL": ttl.String(),
			})
			nodes := []*node{c.start(), c.start(), c.start()}
			leader := waitElected(t, nodes, 15*time.Second)
			ids := enqueueWork(t, client, 300, 1000, 2000)
			start := time.Now()
			var onLeader []string
			waitUntil(t, 30*time.Second, "the leader to run tasks", func() bool {
				onLeader = startedBy(t, c, leader.cmd.Process.Pid)
				return len(onLeader) > 0
			})

			c.kill(leader)
			killed := time.Now()
			var rest []*node
			for _, n := range nodes {
				if n != leader {
					rest = append(rest, n)
				}
			}
			waitElected(t, rest, bound+10*time.Second)
			elected := time.Since(killed)
			require.Less(t, elected, bound+3*time.Second, "failover took longer than the election TTL plus its retry interval")

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			waitUntil(t, 2*time.Minute, "every task finished", func() bool {
				left, err := unfinished(ctx, store)
				require.NoError(t, err)
				return !left
			})
			took := time.Since(start)
			got, _, missing := statuses(t, store, ids)
			require.Zero(t, missing)
			require.Equal(t, len(ids), got[taskq.StatusCompleted])
			execs := c.executions()
			for _, id := range onLeader {
				require.GreaterOrEqual(t, execs[id], 2, "task %s left by the dead leader ran again elsewhere", id)
			}
			record(t, failoverColumns, row{scenario: "SIGKILL the node elected for maintenance", deployment: d.name, cells: map[string]string{
				"tasks": itoa(len(ids)), "on the leader": itoa(len(onLeader)),
				"elected after": elected.Round(10 * time.Millisecond).String(), "bound": bound.Round(10 * time.Millisecond).String(),
				"completed": itoa(got[taskq.StatusCompleted]), "lost": itoa(missing), "took": took.Round(100 * time.Millisecond).String(),
			}})
		})
	}
}

// waitElected waits until one of nodes logs its election for maintenance
// and returns it.
func waitElected(t *testing.T, nodes []*node, within time.Duration) *node {
	t.Helper()
	var found *node
	waitUntil(t, within, "a node elected for maintenance", func() bool {
		for _, n := range nodes {
			if strings.Contains(n.output(), electedMsg) {
				found = n
				return true
			}
		}
		return false
	})
	return found
}

// waitUntil polls cond every 20ms until it holds, or fails t after within.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startedBy returns the ids of the tasks the process pid started.
func startedBy(t *testing.T, c *cluster, pid int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(c.dir, "exec-*.log"))
	require.NoError(t, err)
	want := strconv.Itoa(pid)
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if fields := strings.Fields(sc.Text()); len(fields) == 3 && fields[2] == want {
				out = append(out, fields[0])
			}
		}
		fh.Close()
	}
	return out
}

// kill SIGKILLs node n and waits for it to exit.
func (c *cluster) kill(n *node) {
	c.mu.Lock()
	for i, m := range c.nodes {
		if m == n {
			c.nodes = append(c.nodes[:i], c.nodes[i+1:]...)
			break
		}
	}
	c.kills++
	c.mu.Unlock()
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// output returns what the node wrote to stderr so far.
func (n *node) output() string {
	w := n.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.String()
}
