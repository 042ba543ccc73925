package metrics

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pausedCollector exports queue_paused{queue}: 1 for a paused queue, 0 for
// the other known queues, read from Config.Paused at scrape time.
type pausedCollector struct {
	desc    *prometheus.Desc
	fn      func(context.Context) ([]string, error)
	queues  []string
	timeout time.Duration
	log     *slog.Logger
}

func newPausedCollector(cfg Config, log *slog.Logger) *pausedCollector {
	return &pausedCollector{
		desc: prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "", "queue_paused"),
			"1 while the queue is paused (workers lease none of its tasks), else 0.", []string{"queue"}, nil),
		fn: cfg.Paused, queues: cfg.Queues, timeout: cfg.ScrapeTimeout, log: log,
	}
}

// Describe implements prometheus.Collector.
func (c *pausedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A failing read is logged and
// the samples skipped.
func (c *pausedCollector) Collect(ch chan<- prometheus.Metric) {
	paused, ok := readAtScrape(c.log, c.timeout, "queue_paused", "the paused queues", c.fn)
	if !ok {
		return
	}
	names := slices.Clone(c.queues)
	for _, q := range paused {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	for _, q := range names {
		v := 0.0
		if slices.Contains(paused, q) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, q)
	}
}
