package metrics

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dlqSizeCollector exports dlq_size: from Config.DLQSize at scrape time,
// or the value given to SetDLQSize.
type dlqSizeCollector struct {
	desc    *prometheus.Desc
	fn      func(context.Context) (int, error)
	timeout time.Duration
	log     *slog.Logger
	last    atomic.Int64
}

func newDLQSizeCollector(cfg Config, log *slog.Logger) *dlqSizeCollector {
	return &dlqSizeCollector{
		desc:    prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "", "dlq_size"), "Entries in the dead letter queue.", nil, nil),
		fn:      cfg.DLQSize,
		timeout: cfg.ScrapeTimeout,
		log:     log,
	}
}

func (c *dlqSizeCollector) set(n int) { c.last.Store(int64(n)) }

// Describe implements prometheus.Collector.
func (c *dlqSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A failing DLQSize is logged and
// the sample skipped: the scrape itself does not fail.
func (c *dlqSizeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.last.Load()
	if c.fn != nil {
		v, ok := readAtScrape(c.log, c.timeout, "dlq_size", "the DLQ size", c.fn)
		if !ok {
			return
		}
		n = int64(v)
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}
