package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSamplerPublishesSystemMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{SampleInterval: 20 * time.Millisecond, LagProbeInterval: 2 * time.Millisecond})
	require.NoError(t, b.m.Start(context.Background()))
	t.Cleanup(b.m.Stop)

	// Memory is there at once.
	mem := mustValue(t, b.reg, "system_memory_usage_bytes")
	require.Greater(t, mem, float64(1<<20), "a Go test process uses more than 1 MiB")
	require.Less(t, mem, float64(1<<40))

	// Burn CPU until a sample shows it.
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for mustValue(t, b.reg, "system_cpu_usage") <= 0 {
		require.True(t, time.Now().Before(deadline), "system_cpu_usage stayed 0")
		for i := range 1_000_000 {
			x += i
		}
	}
	_ = x
	cpu := mustValue(t, b.reg, "system_cpu_usage")
	require.Less(t, cpu, 100.0*1024, "at most 100% per core")

	waitFor(t, 10*time.Second, func() bool { return mustValue(t, b.reg, "system_event_loop_lag_seconds") > 0 },
		"system_event_loop_lag_seconds stayed 0")
	require.Less(t, mustValue(t, b.reg, "system_event_loop_lag_seconds"), 5.0)
}

func TestStartStop(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{SampleInterval: 10 * time.Millisecond})

	b.m.Stop() // before Start: nothing to do
	require.NoError(t, b.m.Start(context.Background()))
	require.NoError(t, b.m.Start(context.Background()), "a second Start does nothing")
	b.m.Stop()
	b.m.Stop()

	// Start again, then end it through its context.
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, b.m.Start(ctx))
	cancel()
	done := make(chan struct{})
	go func() { b.m.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return")
	}
	// goleak in TestMain checks that no sampler outlives its Stop.
}
