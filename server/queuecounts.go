package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/taskq/taskq"
)

// queueTasks is the storage's view of one queue in GET /api/queues: its
// records by status (every status, zero included) and the oldest due
// pending task (taskq.StatusCounter); Types only with ?by=type.
type queueTasks struct {
	Counts                  map[taskq.TaskStatus]int64 `json:"counts"`
	OldestPendingAt         *time.Time                 `json:"oldest_pending_at"`
	OldestPendingAgeSeconds float64                    `json:"oldest_pending_age_seconds"`
	Types                   []typeTasks                `json:"types,omitempty"`
}

// typeTasks is one task type of a queue's queueTasks.
type typeTasks struct {
	Type   string                     `json:"type"`
	Counts map[taskq.TaskStatus]int64 `json:"counts"`
}

// queuesQuery parses the query of GET /api/queues: by=type adds the
// counts per task type. It reports whether types are asked for.
func queuesQuery(r *http.Request) (bool, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return false, badQuery("malformed query string")
	}
	p, err := queryParams(q, "by")
	if err != nil {
		return false, err
	}
	by, set := p["by"]
	if set && by != "type" {
		return false, badQuery("by must be \"type\"")
	}
	return set, nil
}

// queueTaskCounts counts the stored tasks of every queue; nil (and no
// error) when the storage cannot count.
func (s *Server) queueTaskCounts(ctx context.Context, byType bool) (map[string]*queueTasks, error) {
	st, err := s.client.QueueStats(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]*queueTasks, len(st))
	for _, q := range st {
		qt := &queueTasks{Counts: q.Counts}
		if q.OldestPending != nil {
			at := q.OldestPending.UTC()
			qt.OldestPendingAt = &at
			qt.OldestPendingAgeSeconds = math.Round(q.OldestPendingAge.Seconds()*1000) / 1000
		}
		if byType {
			qt.Types = make([]typeTasks, 0, len(q.Types))
			for ty, c := range q.Types {
				qt.Types = append(qt.Types, typeTasks{Type: ty, Counts: c})
			}
			slices.SortFunc(qt.Types, func(a, b typeTasks) int { return strings.Compare(a.Type, b.Type) })
		}
		out[q.Queue] = qt
	}
	return out, nil
}

// emptyQueueTasks is the entry of a queue without stored tasks.
func emptyQueueTasks(byType bool) *queueTasks {
	qt := &queueTasks{Counts: map[taskq.TaskStatus]int64{}}
	for _, st := range taskq.Statuses() {
		qt.Counts[st] = 0
	}
	if byType {
		qt.Types = []typeTasks{}
	}
	return qt
}
