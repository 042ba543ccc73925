package metrics

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	require.LessOrEqual(t, cpu, 100.0*float64(runtime.NumCPU())*1.5, "at most 100% per core (and a clock tick)")

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

// TestSystemGaugesMatchProcessCollector checks that system_cpu_usage and
// system_memory_usage_bytes report what client_golang's process collector
// reports for this process: the same resident set size, and a CPU
// percentage consistent with process_cpu_seconds_total over a busy
// interval.
func TestSystemGaugesMatchProcessCollector(t *testing.T) {
	t.Parallel()
	host := prometheus.NewRegistry()
	host.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cpuSeconds := func() float64 { return mustValue(t, host, "process_cpu_seconds_total") }
	if _, ok := value(t, host, "process_cpu_seconds_total"); !ok {
		t.Skip("the process collector has no CPU figure on this platform")
	}

	b := setup(t, Config{SampleInterval: 300 * time.Millisecond, LagProbeInterval: 10 * time.Millisecond})
	require.NoError(t, b.m.Start(context.Background()))
	t.Cleanup(b.m.Stop)

	// Memory: one source, so the figures agree up to what the process
	// allocated between the two reads.
	mem := mustValue(t, b.reg, "system_memory_usage_bytes")
	rss := mustValue(t, host, "process_resident_memory_bytes")
	require.Greater(t, mem, float64(4<<20), "a Go test process holds more than 4 MiB")
	require.InDelta(t, rss, mem, rss/4, "system_memory_usage_bytes %v, process_resident_memory_bytes %v", mem, rss)

	// CPU: keep one goroutine busy until a published sample shows at
	// least a fifth of a core; the CPU seconds counted meanwhile must be
	// non-zero too, and the percentage below what the cores can give.
	before := cpuSeconds()
	deadline := time.Now().Add(20 * time.Second)
	x := 0
	for mustValue(t, b.reg, "system_cpu_usage") < 20 {
		require.True(t, time.Now().Before(deadline), "system_cpu_usage stayed below 20% while a goroutine was busy")
		for i := range 1_000_000 {
			x += i
		}
	}
	_ = x
	require.Greater(t, cpuSeconds()-before, 0.0, "process_cpu_seconds_total grew")
	require.LessOrEqual(t, mustValue(t, b.reg, "system_cpu_usage"), 100*float64(runtime.NumCPU())*1.5)
}
