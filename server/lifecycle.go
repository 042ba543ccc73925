package server

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/metrics"
)

// Start starts the worker (whose maintenance, run while this replica is
// elected for it, includes the DLQ cleanup job), the metrics sampler and
// the periodic scheduler (when schedules are configured or the storage
// can store them).
// It returns once they run; a second Start does nothing.
func (s *Server) Start(ctx context.Context) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.started {
		return nil
	}
	if s.stopped {
		return errors.New("server: cannot start a stopped server")
	}
	if err := s.metrics.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if err := s.worker.Start(ctx); err != nil {
		s.metrics.Stop()
		return err
	}
	if err := s.alerts.Start(ctx); err != nil {
		_ = s.worker.Stop(ctx)
		s.metrics.Stop()
		return err
	}
	s.sched.start(s.log)
	s.started = true
	return nil
}

// Stop drains the worker (running handlers may finish until ctx ends, then
// are cancelled and their tasks given back), stops the DLQ cleanup job and
// the sampler. It does not close the backends. It is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	start := time.Now()
	err := s.sched.stop(ctx)                   // releases the scheduler's lease for another replica
	err = errors.Join(err, s.alerts.Stop(ctx)) // enqueues the alerts still buffered
	err = errors.Join(err, s.worker.Stop(ctx)) // releases the maintenance lease
	// Pushes the entries of the tasks just created (redis+postgres), after
	// the worker's drain, which matters more: an entry not pushed when ctx
	// ends is the reconciler's.
	err = errors.Join(err, s.client.Flush(ctx))
	s.metrics.Stop()
	if s.adminKeyFile != "" {
		if rerr := os.Remove(s.adminKeyFile); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			s.log.Warn("cannot remove the generated admin key file", "admin_key_file", s.adminKeyFile, "error", rerr)
		}
	}
	s.log.Info("background work stopped", "took", time.Since(start).Round(time.Millisecond))
	return err
}

// breakerMetrics adapts metrics.Metrics to breaker.Observer.
type breakerMetrics struct{ m *metrics.Metrics }

func (b breakerMetrics) BreakerState(name string, st breaker.State) { b.m.BreakerState(name, int(st)) }
func (b breakerMetrics) BreakerTrip(name string)                    { b.m.BreakerTrip(name) }
