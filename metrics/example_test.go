package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/queue"
)

// A server registers the metrics on its own registry, hands them to the
// worker as its Observer, wraps its mux and serves /metrics.
func ExampleNew() {
	q := queue.NewMemory()
	defer q.Close()

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{
		Queue:     q,
		TaskTypes: []string{"email.send"},
		Routes:    []string{"GET /api/tasks/{id}", "GET /metrics"},
		Breakers:  []string{"smtp.example.com"},
	})
	if err != nil {
		panic(err)
	}
	if err := m.Start(context.Background()); err != nil {
		panic(err)
	}
	defer m.Stop()

	var obs taskq.Observer = m // worker.Config{Observer: m}
	obs.TaskFinished("email.send", taskq.OutcomeCompleted, 120*time.Millisecond)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		m.AuthFailure(string(auth.ReasonUnknownKey))
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	handler := m.HTTPMiddleware(mux)
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/tasks/0193abc", nil))

	fmt.Println(testutil.CollectAndCount(reg, "tasks_processed_total"))
	n, _ := testutil.GatherAndCount(reg, "http_requests_total")
	fmt.Println(n)
	// Output:
	// 5
	// 3
}
