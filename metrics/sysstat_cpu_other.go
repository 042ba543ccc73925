//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package metrics

import "time"

// processCPUTime is not available here: system_cpu_usage stays 0.
func processCPUTime() (time.Duration, bool) { return 0, false }
