package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/pgleader"
	"github.com/taskq/taskq/leader/redisleader"
	"github.com/taskq/taskq/periodic"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
)

// ElectionName is the leader election name of the server's periodic
// scheduler: replicas sharing a backend elect one scheduler.
const ElectionName = "taskq-server-periodic"

// ScheduleConfig is one periodic task of the server (TASKQ_SCHEDULES, a
// JSON array of these objects).
type ScheduleConfig struct {
	// Name, Spec, TimeZone and Missed are those of periodic.Schedule.
	Name     string                `json:"name"`
	Spec     string                `json:"spec"`
	TimeZone string                `json:"timezone,omitempty"`
	Missed   periodic.MissedPolicy `json:"missed,omitempty"`
	// Type and Metadata are the task; the type must be one the server
	// handles.
	Type     string         `json:"type"`
	Metadata map[string]any `json:"metadata,omitempty"`
	// Queue is one of TASKQ_QUEUES. Default the first of them.
	Queue string `json:"queue,omitempty"`
	// Priority is LOW, MEDIUM (default), HIGH or CRITICAL.
	Priority string `json:"priority,omitempty"`
}

// schedulesSetting parses TASKQ_SCHEDULES.
func schedulesSetting(p *[]ScheduleConfig) func(string) error {
	return func(v string) error {
		dec := json.NewDecoder(bytes.NewReader([]byte(v)))
		dec.DisallowUnknownFields()
		var out []ScheduleConfig
		if err := dec.Decode(&out); err != nil {
			return fmt.Errorf("want a JSON array of schedules ({\"name\",\"spec\",\"type\",...}): %w", err)
		}
		*p = out
		return nil
	}
}

// validateSchedules checks the schedules of c (Validate).
func (c Config) validateSchedules() []error {
	var errs []error
	seen := map[string]bool{}
	for _, sc := range c.Schedules {
		if err := sc.schedule(c.Queues).Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[sc.Name] {
			errs = append(errs, fmt.Errorf("two schedules named %s", sc.Name))
		}
		seen[sc.Name] = true
		if sc.Queue != "" && !slices.Contains(c.Queues, sc.Queue) {
			errs = append(errs, fmt.Errorf("schedule %s: queue %q is not in TASKQ_QUEUES", sc.Name, sc.Queue))
		}
		if sc.Priority != "" {
			if _, err := taskq.ParseTaskPriority(sc.Priority); err != nil {
				errs = append(errs, fmt.Errorf("schedule %s: %w", sc.Name, err))
			}
		}
	}
	return errs
}

// schedule returns the periodic.Schedule of sc.
func (sc ScheduleConfig) schedule(queues []string) periodic.Schedule {
	q := sc.Queue
	if q == "" && len(queues) > 0 {
		q = queues[0]
	}
	opts := []taskq.EnqueueOption{taskq.WithQueue(q)}
	if p, err := taskq.ParseTaskPriority(sc.Priority); sc.Priority != "" && err == nil {
		opts = append(opts, taskq.WithPriority(p))
	}
	return periodic.Schedule{Name: sc.Name, Spec: sc.Spec, TimeZone: sc.TimeZone, Missed: sc.Missed,
		Type: sc.Type, Metadata: sc.Metadata, Options: opts}
}

// scheduleNames returns the names of the configured schedules.
func (c Config) scheduleNames() []string {
	var out []string
	for _, sc := range c.Schedules {
		out = append(out, sc.Name)
	}
	return out
}

// leaseStore picks the leader election store of the backends: the
// PostgreSQL storage, else the Redis storage or queue, else process memory
// (one replica).
func leaseStore(store taskq.StorageAdapter, q taskq.Queue) (leader.Store, error) {
	switch st := store.(type) {
	case *postgres.Store:
		return pgleader.New(st)
	case *redisstore.Store:
		return redisleader.New(st.Client(), redisleader.Config{KeyPrefix: st.KeyPrefix()})
	}
	if rq, ok := q.(*redisqueue.Queue); ok {
		return redisleader.New(rq.Client(), redisleader.Config{})
	}
	return leader.NewMemoryStore(nil), nil
}

// scheduler is the server's periodic scheduler and its run state.
type scheduler struct {
	sched   *periodic.Scheduler
	elector *leader.Elector
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// newScheduler builds the scheduler of the configured schedules (nil when
// there are none). Every schedule's type must have a handler.
func (s *Server) newScheduler() error {
	if len(s.cfg.Schedules) == 0 {
		return nil
	}
	var scheds []periodic.Schedule
	for _, sc := range s.cfg.Schedules {
		if _, ok := s.types[sc.Type]; !ok {
			return fmt.Errorf("server: schedule %s: no handler for task type %q", sc.Name, sc.Type)
		}
		scheds = append(scheds, sc.schedule(s.cfg.Queues))
	}
	ls, err := leaseStore(s.store, s.queue)
	if err != nil {
		return err
	}
	e, err := leader.New(ls, leader.Config{Name: ElectionName, TTL: s.cfg.ElectionTTL, Logger: s.log})
	if err != nil {
		return err
	}
	p, err := periodic.New(periodic.Config{Client: s.client, Elector: e, Schedules: scheds,
		Observer: s.metrics, Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.sched = &scheduler{sched: p, elector: e}
	return nil
}

// leaders reports the leader elections this server campaigns in, for
// leader_is_leader: the periodic scheduler's when schedules are
// configured.
func (s *Server) leaders() map[string]bool {
	out := map[string]bool{}
	if s.sched != nil {
		_, lead := s.sched.elector.Leader()
		out[ElectionName] = lead
	}
	return out
}

// start runs the scheduler in the background.
func (sc *scheduler) start() {
	if sc == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc.cancel, sc.done = cancel, make(chan struct{})
	go func() {
		defer close(sc.done)
		_ = sc.sched.Run(ctx)
	}()
}

// stop ends the scheduler (releasing a held lease) and waits for it,
// until ctx ends.
func (sc *scheduler) stop(ctx context.Context) error {
	if sc == nil || sc.cancel == nil {
		return nil
	}
	sc.once.Do(sc.cancel)
	select {
	case <-sc.done:
		return nil
	case <-ctx.Done():
		return errors.New("server: periodic scheduler did not stop in time")
	}
}

// listSchedules serves GET /api/schedules.
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	out := map[string]any{"schedules": []periodic.Status{}, "leader": false}
	if s.sched != nil {
		_, lead := s.sched.elector.Leader()
		out["schedules"], out["leader"] = s.sched.sched.Schedules(), lead
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
