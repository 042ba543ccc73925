package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// electedLog is the log line of a worker elected for maintenance.
const electedLog = `"msg":"elected to run maintenance"`

// TestMaintenanceElection runs two replicas on each durable deployment:
// exactly one is elected for maintenance on the deployment's lease store,
// and when it stops (releasing the lease) the other takes over within the
// retry interval (a third of TASKQ_ELECTION_TTL).
func TestMaintenanceElection(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		if be.name == deployMemory {
			continue // one process: nothing to elect among
		}
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			deps := be.deps(t)
			cfg := Config{ElectionTTL: time.Second}
			a := setup(t, cfg, deps, true)
			b := setup(t, cfg, deps, true)
			elected := func(x *bundle) bool { return strings.Contains(x.log.String(), electedLog) }
			waitTrue(t, 10*time.Second, "a replica elected", func() bool { return elected(a) || elected(b) })
			leader, other := a, b
			if elected(b) {
				leader, other = b, a
			}
			require.False(t, elected(other), "two replicas elected at once")

			stopped := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, leader.s.Stop(ctx))
			waitTrue(t, 10*time.Second, "the other replica elected", func() bool { return elected(other) })
			took := time.Since(stopped)
			t.Logf("the other replica was elected %s after the leader stopped", took.Round(time.Millisecond))
			require.Less(t, took, time.Second/3+2*time.Second, "takeover after a graceful stop took longer than the retry interval")
		})
	}
}

// waitTrue polls cond every 10ms until it holds, or fails t after within.
func waitTrue(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
