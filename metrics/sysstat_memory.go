package metrics

import (
	"bytes"
	"os"
	rtmetrics "runtime/metrics"
	"strconv"
)

// memoryBytes returns the resident set size from /proc/self/statm (Linux),
// or else the memory mapped by the Go runtime (runtime/metrics
// "/memory/classes/total:bytes").
func memoryBytes() (uint64, bool) {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(b); len(f) >= 2 {
			if pages, err := strconv.ParseUint(string(f[1]), 10, 64); err == nil {
				return pages * uint64(os.Getpagesize()), true
			}
		}
	}
	s := []rtmetrics.Sample{{Name: "/memory/classes/total:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0, false
	}
	return s[0].Value.Uint64(), true
}
