package testenv

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user and system) this process used so far,
// or 0 when getrusage fails. Benchmarks subtract two readings to report
// the client side's CPU per operation.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
