package periodic

import (
	"context"
	"reflect"
	"time"

	"github.com/taskq/taskq"
)

// Source lists schedules kept outside the Config, such as those created at
// run time in a storage: every taskq.ScheduleStore is a Source.
type Source interface {
	ListSchedules(ctx context.Context) ([]taskq.StoredSchedule, error)
}

// FromStored returns the Schedule of a stored definition: its task's
// queue (when set) and priority become Options; no tick before its
// creation is enqueued by a Scheduler that reads it from its Source.
func FromStored(st taskq.StoredSchedule) Schedule {
	opts := []taskq.EnqueueOption{taskq.WithPriority(st.Priority)}
	if st.Queue != "" {
		opts = append(opts, taskq.WithQueue(st.Queue))
	}
	return Schedule{Name: st.Name, Spec: st.Spec, TimeZone: st.TimeZone, Type: st.Type, Metadata: st.Metadata,
		Options: opts, Missed: MissedPolicy(st.Missed)}
}

// reloadLoop reads the Source every ReloadInterval until ctx ends.
func (s *Scheduler) reloadLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ReloadInterval)
	defer t.Stop()
	for {
		if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "cannot read the stored schedules; keeping the previous ones", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reload reads Config.Source now (the Scheduler also does so every
// ReloadInterval while it runs): new schedules are added, those gone are
// removed, and the leader steps at once when something changed. A stored
// schedule that is invalid, or named like one of Config.Schedules, is
// left out and logged. Without a Source it does nothing.
func (s *Scheduler) Reload(ctx context.Context) error {
	if s.cfg.Source == nil {
		return nil
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	defs, err := s.cfg.Source.ListSchedules(ctx)
	if err != nil {
		return err
	}
	old := map[string]*entry{}
	cur := s.snapshot()
	var next []*entry
	for _, e := range cur {
		if e.stored == nil {
			next = append(next, e)
		} else {
			old[e.Name] = e
		}
	}
	now := s.cfg.Now()
	var added []*entry
	skipped := map[string]string{}
	for _, d := range defs {
		if e, ok := old[d.Name]; ok && reflect.DeepEqual(*e.stored, d) {
			next = append(next, e)
			delete(old, d.Name)
			continue
		}
		if s.static[d.Name] {
			skipped[d.Name] = "a configured schedule has this name"
			continue
		}
		e, err := s.newEntry(FromStored(d), now)
		if err != nil {
			skipped[d.Name] = err.Error()
			continue
		}
		e.stored, e.since = &d, d.Created
		next = append(next, e)
		added = append(added, e)
		s.log.InfoContext(ctx, "stored schedule added", "schedule", d.Name, "spec", d.Spec)
	}
	for name := range old {
		s.log.InfoContext(ctx, "stored schedule removed", "schedule", name)
	}
	for name, why := range skipped {
		if s.skipped[name] != why {
			s.log.WarnContext(ctx, "stored schedule left out", "schedule", name, "reason", why)
		}
	}
	s.skipped = skipped
	if len(added) == 0 && len(old) == 0 {
		return nil
	}
	s.mu.Lock()
	s.entries = next
	s.mu.Unlock()
	for _, e := range added {
		s.obs.PeriodicNext(e.Name, e.next)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}
