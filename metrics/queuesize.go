package metrics

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskq/taskq"
)

// Priority label values of task_queue_size besides the four priority
// names (low, medium, high, critical) that count ready entries.
const (
	// PriorityScheduled counts entries waiting for their run time.
	PriorityScheduled = "scheduled"
	// PriorityLeased counts entries held by consumers.
	PriorityLeased = "leased"
)

// queueSizeCollector exports task_queue_size{queue,priority} at scrape
// time from Queue.Queues and Queue.Stats.
type queueSizeCollector struct {
	desc    *prometheus.Desc
	q       taskq.Queue
	known   []string
	names   *labelSet[struct{}]
	timeout time.Duration
	log     *slog.Logger
}

func newQueueSizeCollector(cfg Config, log *slog.Logger) *queueSizeCollector {
	return &queueSizeCollector{
		desc: prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "", "task_queue_size"),
			"Entries in a queue: ready ones by priority (low, medium, high, critical), plus priority=\"scheduled\" (waiting for their run time) and priority=\"leased\" (held by workers).",
			[]string{"queue", "priority"}, nil),
		q:       cfg.Queue,
		known:   cfg.Queues,
		names:   newLabelSet(cfg.MaxLabelValues, func(string) struct{} { return struct{}{} }, cfg.Queues...),
		timeout: cfg.ScrapeTimeout,
		log:     log,
	}
}

// Describe implements prometheus.Collector.
func (c *queueSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. Backend errors are logged and
// the queue concerned skipped: the scrape itself does not fail. Queues
// beyond the label cap are summed under queue="other".
func (c *queueSizeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	names := slices.Clone(c.known)
	listed, err := c.q.Queues(ctx)
	if err != nil {
		c.log.Warn("task_queue_size: listing queues failed; reporting the configured ones", "err", err)
	}
	for _, n := range listed {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sums := make(map[string]*taskq.QueueStats, len(names))
	var order []string
	for _, n := range names {
		st, err := c.q.Stats(ctx, n)
		if err != nil {
			c.log.Warn("task_queue_size: reading queue stats failed; queue skipped", "queue", n, "err", err)
			continue
		}
		label, _ := c.names.get(n)
		sum, ok := sums[label]
		if !ok {
			sum = &taskq.QueueStats{}
			sums[label] = sum
			order = append(order, label)
		}
		for i, r := range st.Ready {
			sum.Ready[i] += r
		}
		sum.Scheduled += st.Scheduled
		sum.Leased += st.Leased
	}
	for _, label := range order {
		st := sums[label]
		for i, r := range st.Ready {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r), label, taskq.TaskPriority(i).String())
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(st.Scheduled), label, PriorityScheduled)
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(st.Leased), label, PriorityLeased)
	}
}
