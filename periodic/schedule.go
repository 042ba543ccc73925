package periodic

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// MissedPolicy says what a new leader does with ticks that passed more
// than Config.Grace ago without a task (the scheduler was down, or no
// replica led).
type MissedPolicy string

// Missed tick policies.
const (
	// Skip drops them: the schedule resumes with the ticks of the last
	// Grace and then the future ones. The default.
	Skip MissedPolicy = "skip"
	// CatchUpOnce enqueues one task for the most recent of them, then
	// resumes as Skip does.
	CatchUpOnce MissedPolicy = "catch_up_once"
)

// Schedule is one periodic task.
type Schedule struct {
	// Name identifies the schedule (metrics, logs, the idempotency key of
	// its tasks): letters, digits and ._:-/, at most 128. Renaming a
	// schedule makes its ticks new ones.
	Name string `json:"name"`
	// Spec is when it runs:
	//   - a cron expression of 5 fields (minute hour day-of-month month
	//     day-of-week), or 6 with a leading seconds field;
	//   - a descriptor: @yearly (@annually), @monthly, @weekly, @daily
	//     (@midnight), @hourly;
	//   - "@every <duration>" (Go syntax, at least 1s): a fixed interval,
	//     with ticks at whole multiples of it since the Unix epoch, so every
	//     replica computes the same ticks whenever it started.
	Spec string `json:"spec"`
	// TimeZone is the IANA zone cron fields are read in (for example
	// "Europe/Paris"); empty means UTC. It does not affect @every.
	TimeZone string `json:"timezone,omitempty"`
	// Type and Metadata are the task to enqueue; or Args, a typed task,
	// with Type and Metadata empty.
	Type     string         `json:"type,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
	Args     taskq.Args     `json:"-"`
	// Options are applied to every task (queue, priority, retries,
	// timeout, ...). The idempotency key is always the scheduler's own.
	Options []taskq.EnqueueOption `json:"-"`
	// Missed is the missed tick policy. Default Skip.
	Missed MissedPolicy `json:"missed,omitempty"`
}

// ticker computes the ticks of a schedule.
type ticker interface {
	// next returns the first tick strictly after t, or the zero time if
	// there is none within five years.
	next(t time.Time) time.Time
}

// interval ticks at whole multiples of d since the Unix epoch.
type interval time.Duration

func (d interval) next(t time.Time) time.Time {
	n := t.UnixNano() / int64(d)
	if t.UnixNano() < 0 && t.UnixNano()%int64(d) != 0 {
		n--
	}
	return time.Unix(0, (n+1)*int64(d)).UTC()
}

// cronTicker ticks as a cron schedule read in loc.
type cronTicker struct {
	s   cron.Schedule
	loc *time.Location
}

func (c cronTicker) next(t time.Time) time.Time {
	n := c.s.Next(t.In(c.loc))
	if n.IsZero() {
		return n
	}
	return n.UTC()
}

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parse validates s and returns its ticker.
func (s Schedule) parse() (ticker, error) {
	if !names.Valid(s.Name, 128) {
		return nil, fmt.Errorf("periodic: schedule name %q must be 1-128 letters, digits and ._:-/", s.Name)
	}
	switch s.Missed {
	case "", Skip, CatchUpOnce:
	default:
		return nil, fmt.Errorf("periodic: schedule %s: unknown missed policy %q (want %q or %q)", s.Name, s.Missed, Skip, CatchUpOnce)
	}
	if s.Args != nil && (s.Type != "" || s.Metadata != nil) {
		return nil, fmt.Errorf("periodic: schedule %s: Args excludes Type and Metadata", s.Name)
	}
	if s.Args == nil && s.Type == "" {
		return nil, fmt.Errorf("periodic: schedule %s: needs a task Type or Args", s.Name)
	}
	spec := strings.TrimSpace(s.Spec)
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || every < time.Second {
			return nil, fmt.Errorf("periodic: schedule %s: @every wants a Go duration of at least 1s, got %q", s.Name, d)
		}
		return interval(every), nil
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("periodic: schedule %s: set TimeZone instead of a TZ= prefix", s.Name)
	}
	loc := time.UTC
	if s.TimeZone != "" {
		l, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("periodic: schedule %s: time zone: %w", s.Name, err)
		}
		loc = l
	}
	if spec == "" {
		return nil, fmt.Errorf("periodic: schedule %s: empty spec", s.Name)
	}
	cs, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("periodic: schedule %s: %w", s.Name, err)
	}
	return cronTicker{s: cs, loc: loc}, nil
}

// maxLookBack bounds the search for a previous tick.
const maxLookBack = 6 * 366 * 24 * time.Hour

// prev returns the latest tick strictly before t.
func prev(tk ticker, t time.Time) (time.Time, bool) {
	for w := time.Minute; w <= maxLookBack; w *= 2 {
		c := tk.next(t.Add(-w))
		if c.IsZero() || !c.Before(t) {
			continue
		}
		for {
			n := tk.next(c)
			if n.IsZero() || !n.Before(t) {
				return c, true
			}
			c = n
		}
	}
	return time.Time{}, false
}

// IdempotencyKey returns the idempotency key of the task of schedule name
// for tick: the same on every replica, so a tick gives one task however
// many replicas enqueue it.
func IdempotencyKey(name string, tick time.Time) string {
	return "periodic:" + name + ":" + tick.UTC().Format(time.RFC3339Nano)
}

var errNoTicks = errors.New("no tick within five years")

// Validate checks the schedule as New does (name, spec, time zone, missed
// policy, task given), except the task's own validation, which needs the
// Client.
func (s Schedule) Validate() error {
	_, err := s.parse()
	return err
}
