package server

import (
	"fmt"
	"time"

	"github.com/taskq/taskq"
)

// maxUniquePeriod bounds unique.period_ms (ten years).
const maxUniquePeriod = 10 * 365 * 24 * time.Hour

// uniqueRequest is the unique object of POST /api/tasks (taskq.UniqueOpts).
type uniqueRequest struct {
	ByArgs   bool     `json:"by_args"`
	Fields   []string `json:"fields"`
	ByQueue  bool     `json:"by_queue"`
	Key      string   `json:"key"`
	PeriodMS int64    `json:"period_ms"`
	States   []string `json:"states"`
}

// uniqueOption checks the unique object of a create request and returns
// its option; problems are details of fields "unique.*". The library
// checks the rest (period at least 1s, key text) when it builds the task.
func uniqueOption(u *uniqueRequest) (taskq.EnqueueOption, []taskq.FieldError) {
	var d []taskq.FieldError
	opts := taskq.UniqueOpts{ByArgs: u.ByArgs, Fields: u.Fields, ByQueue: u.ByQueue, Key: u.Key}
	if u.PeriodMS < 0 || (u.PeriodMS > 0 && u.PeriodMS < taskq.MinUniquePeriod.Milliseconds()) ||
		u.PeriodMS > maxUniquePeriod.Milliseconds() {
		d = append(d, taskq.FieldError{Field: "unique.period_ms",
			Message: fmt.Sprintf("must be 0 (no period) or between %d and %d",
				taskq.MinUniquePeriod.Milliseconds(), maxUniquePeriod.Milliseconds())})
	} else {
		opts.Period = time.Duration(u.PeriodMS) * time.Millisecond
	}
	for _, s := range u.States {
		st := taskq.TaskStatus(s)
		if !st.Valid() {
			d = append(d, taskq.FieldError{Field: "unique.states", Message: fmt.Sprintf("unknown status %q", s)})
			continue
		}
		opts.States = append(opts.States, st)
	}
	return taskq.WithUnique(opts), d
}
