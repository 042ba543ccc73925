package metrics

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// leaderCollector exports leader_is_leader{name}: 1 while this process
// leads the named election, else 0, read from Config.Leaders at scrape
// time.
type leaderCollector struct {
	desc *prometheus.Desc
	fn   func() map[string]bool
}

func newLeaderCollector(cfg Config) *leaderCollector {
	return &leaderCollector{
		desc: prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "", "leader_is_leader"),
			"1 while this process is the leader of the named election (package leader), else 0.", []string{"name"}, nil),
		fn: cfg.Leaders,
	}
}

// Describe implements prometheus.Collector.
func (c *leaderCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *leaderCollector) Collect(ch chan<- prometheus.Metric) {
	states := c.fn()
	for _, name := range slices.Sorted(maps.Keys(states)) {
		v := 0.0
		if states[name] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, name)
	}
}
