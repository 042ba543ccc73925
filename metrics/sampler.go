package metrics

import (
	"context"
	"time"
)

// Start launches the sampler of the system metrics (system_cpu_usage,
// system_memory_usage_bytes, system_event_loop_lag_seconds), which
// publishes every Config.SampleInterval until ctx ends or Stop is called.
// It returns at once; calling it while the sampler runs does nothing.
func (m *Metrics) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	m.stop, m.stopped = cancel, done
	s := newSampler(m)
	s.sampleMemory() // CPU and lag are published from the first interval on
	go func() {
		defer close(done)
		s.run(ctx)
	}()
	return nil
}

// Stop stops the sampler and waits for it to end (at most one lag probe
// interval). It is safe to call without Start and more than once; Start
// may be called again afterwards.
func (m *Metrics) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop == nil {
		return
	}
	m.stop()
	<-m.stopped
	m.stop, m.stopped = nil, nil
}

// sampler measures timer lateness continuously and publishes the system
// gauges every SampleInterval.
type sampler struct {
	m        *Metrics
	lastCPU  time.Duration
	lastWall time.Time
	cpuOK    bool
	maxLag   time.Duration
}

func newSampler(m *Metrics) *sampler {
	s := &sampler{m: m, lastWall: time.Now()}
	s.lastCPU, s.cpuOK = processCPUTime()
	return s
}

func (s *sampler) run(ctx context.Context) {
	probe := s.m.cfg.LagProbeInterval
	t := time.NewTimer(probe)
	defer t.Stop()
	armed := time.Now()
	lastPublish := armed
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Both delays count: the runtime firing the timer late and
			// this goroutine getting to run late.
			late := max(time.Since(armed)-probe, 0)
			s.maxLag = max(s.maxLag, late)
			if time.Since(lastPublish) >= s.m.cfg.SampleInterval {
				s.m.lag.Set(s.maxLag.Seconds())
				s.maxLag = 0
				s.sample()
				lastPublish = time.Now()
			}
			armed = time.Now()
			t.Reset(probe)
		}
	}
}

// sample publishes CPU percent since the previous sample and memory.
func (s *sampler) sample() {
	now := time.Now()
	if cpu, ok := processCPUTime(); ok && s.cpuOK {
		if wall := now.Sub(s.lastWall); wall > 0 {
			s.m.cpu.Set(100 * float64(cpu-s.lastCPU) / float64(wall))
		}
		s.lastCPU = cpu
	}
	s.lastWall = now
	s.sampleMemory()
}

func (s *sampler) sampleMemory() {
	if b, ok := memoryBytes(); ok {
		s.m.mem.Set(float64(b))
	}
}
