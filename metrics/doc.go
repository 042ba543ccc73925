// Package metrics exports the taskq engine's Prometheus metrics (the
// families docs/monitoring.md lists) on a registry chosen by the embedding
// program, and implements [taskq.Observer] so the worker and the DLQ report
// to it. Grafana dashboards and Prometheus alerting rules live in the
// dashboards/ and prometheus/ directories next to this package; see
// docs/monitoring.md.
package metrics
