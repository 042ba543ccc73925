package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

func benchMetrics(b *testing.B) *Metrics {
	m, err := New(prometheus.NewRegistry(), testConfig())
	require.NoError(b, err)
	return m
}

func BenchmarkTaskFinished(b *testing.B) {
	m := benchMetrics(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.TaskFinished("email", taskq.OutcomeCompleted, 30*time.Millisecond)
		}
	})
}

func BenchmarkObserveHTTP(b *testing.B) {
	m := benchMetrics(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveHTTP("GET", "GET /api/tasks/{id}", 200, 3*time.Millisecond)
		}
	})
}
