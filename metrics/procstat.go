package metrics

import (
	rtmetrics "runtime/metrics"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Families of client_golang's process collector read by procStats.
const (
	processCPUFamily = "process_cpu_seconds_total"
	processRSSFamily = "process_resident_memory_bytes"
)

// procStats reads this process' CPU time and resident set size through
// client_golang's process collector (procfs /proc/self/stat on Linux,
// the platform calls on macOS and Windows), so system_cpu_usage and
// system_memory_usage_bytes carry the same figures as the
// process_cpu_seconds_total and process_resident_memory_bytes a host may
// export. The collector lives in a private registry: registering it on
// the host's would collide with the host's own.
type procStats struct {
	reg *prometheus.Registry
}

func newProcStats() *procStats {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &procStats{reg: reg}
}

// sample is one reading; a field is valid when its ok flag is set.
type procSample struct {
	cpuSeconds float64
	cpuOK      bool
	rssBytes   float64
	rssOK      bool
}

// read returns the collector's current figures. Where it has no resident
// set size, memory is what the Go runtime has mapped
// (runtime/metrics "/memory/classes/total:bytes").
func (p *procStats) read() procSample {
	var s procSample
	mfs, _ := p.reg.Gather() // the collector drops what it cannot read
	for _, mf := range mfs {
		ms := mf.GetMetric()
		if len(ms) != 1 {
			continue
		}
		switch mf.GetName() {
		case processCPUFamily:
			s.cpuSeconds, s.cpuOK = ms[0].GetCounter().GetValue(), ms[0].GetCounter() != nil
		case processRSSFamily:
			s.rssBytes, s.rssOK = ms[0].GetGauge().GetValue(), ms[0].GetGauge() != nil
		}
	}
	if !s.rssOK {
		rs := []rtmetrics.Sample{{Name: "/memory/classes/total:bytes"}}
		rtmetrics.Read(rs)
		if rs[0].Value.Kind() == rtmetrics.KindUint64 {
			s.rssBytes, s.rssOK = float64(rs[0].Value.Uint64()), true
		}
	}
	return s
}
