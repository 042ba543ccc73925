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
	s.publishMemory(s.last) // CPU and lag are published from the first interval on
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
	last     procSample
	lastWall time.Time
	maxLag   time.Duration
}

func newSampler(m *Metrics) *sampler {
	return &sampler{m: m, last: m.proc.read(), lastWall: time.Now()}
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
	cur := s.m.proc.read()
	if cur.cpuOK && s.last.cpuOK {
		if wall := now.Sub(s.lastWall).Seconds(); wall > 0 {
			s.m.cpu.Set(100 * max(cur.cpuSeconds-s.last.cpuSeconds, 0) / wall)
		}
	}
	s.last, s.lastWall = cur, now
	s.publishMemory(cur)
}

func (s *sampler) publishMemory(p procSample) {
	if p.rssOK {
		s.m.mem.Set(p.rssBytes)
	}
}
