package server

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/server/ui"
)

// queueInfo is one queue of GET /api/queues: the queue backend's counts.
// Pending is Ready + Scheduled (retries waiting for their backoff are
// scheduled); Running counts leased entries; Size all of them. Paused is
// the storage's pause state (taskq.QueuePauser).
type queueInfo struct {
	Name      string `json:"name"`
	Paused    bool   `json:"paused"`
	Size      int64  `json:"size"`
	Pending   int64  `json:"pending"`
	Ready     int64  `json:"ready"`
	Scheduled int64  `json:"scheduled"`
	Running   int64  `json:"running"`
	// Tasks counts the queue's stored tasks (queuecounts.go); nil when
	// the storage cannot count.
	Tasks *queueTasks `json:"tasks,omitempty"`
}

// noQuery refuses any query parameter.
func noQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badQuery("malformed query string")
	}
	_, err = queryParams(q)
	return err
}

// listQueues serves GET /api/queues: the configured queues, in order.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	byType, err := queuesQuery(r)
	if err != nil {
		return err
	}
	counts, err := s.queueTaskCounts(r.Context(), byType)
	if err != nil {
		return err
	}
	paused, err := s.client.PausedQueues(r.Context())
	if err != nil {
		return err
	}
	out := make([]queueInfo, 0, len(s.cfg.Queues))
	for _, name := range s.cfg.Queues {
		qi, err := s.queueInfo(r, name, slices.Contains(paused, name))
		if err != nil {
			return err
		}
		out = append(out, qi)
		if counts != nil {
			if out[len(out)-1].Tasks = counts[name]; counts[name] == nil {
				out[len(out)-1].Tasks = emptyQueueTasks(byType)
			}
		}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"queues": out})
	return nil
}

// queueInfo reads the counts of one queue.
func (s *Server) queueInfo(r *http.Request, name string, paused bool) (queueInfo, error) {
	st, err := s.queue.Stats(r.Context(), name)
	if err != nil {
		return queueInfo{}, err
	}
	var ready int64
	for _, n := range st.Ready {
		ready += n
	}
	return queueInfo{Name: name, Paused: paused, Size: st.Total(), Pending: ready + st.Scheduled,
		Ready: ready, Scheduled: st.Scheduled, Running: st.Leased}, nil
}

// statsBody is the body of GET /api/stats.
type statsBody struct {
	DLQSize            int     `json:"dlq_size"`
	ProcessedPerMinute float64 `json:"processed_per_minute"`
	FailedPerMinute    float64 `json:"failed_per_minute"`
	ErrorRate          float64 `json:"error_rate"`
	WindowSeconds      int     `json:"window_seconds"`
}

// stats serves GET /api/stats: the DLQ size (shared by every replica)
// and this replica's worker throughput over the metrics' rate window.
func (s *Server) stats(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if err := noQuery(r); err != nil {
		return err
	}
	n, err := s.dlq.Size(r.Context())
	if err != nil {
		return err
	}
	processed, failed := s.metrics.Rates()
	body := statsBody{DLQSize: n, ProcessedPerMinute: processed, FailedPerMinute: failed,
		WindowSeconds: s.metrics.RateWindowSeconds()}
	if processed > 0 {
		body.ErrorRate = failed / processed
	}
	s.writeJSON(w, r, http.StatusOK, body)
	return nil
}

// routeConsole serves the operator console (package ui). It is no API
// route, so it is not in routePatterns (nor in the OpenAPI document).
const routeConsole = "GET /ui/"

// consoleRoutes registers the console: its embedded assets, public and
// limited per client like the health endpoints; the console itself calls
// the API with a bearer token.
func (s *Server) consoleRoutes() {
	h := ui.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apiError(taskq.CodeNotFound, "no such file"))
	}))
	serve := func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r.Context())
		info.route = routeConsole
		if !s.limit(w, r, metrics.ScopeIP, "public:"+info.clientKey, s.ipLimit) {
			return
		}
		h.ServeHTTP(w, r)
	}
	s.mux.HandleFunc(routeConsole, serve)
	s.mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		infoOf(r.Context()).route = routeConsole
		w.Header().Set("Location", ui.Prefix)
		w.WriteHeader(http.StatusMovedPermanently)
	})
}
