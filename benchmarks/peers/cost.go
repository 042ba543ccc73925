package main

import (
	"runtime"
	"syscall"
	"time"
)

// cost is what one task cost this process: CPU time (user + system, from
// getrusage) and heap allocations (runtime.MemStats). The servers run in
// other processes and are not counted.
type cost struct {
	cpu    time.Duration
	allocs float64
	bytes  float64
}

type meter struct {
	cpu     time.Duration
	mallocs uint64
	bytes   uint64
}

func readMeter() meter {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return meter{
		cpu:     time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		mallocs: ms.Mallocs,
		bytes:   ms.TotalAlloc,
	}
}

// startMeter collects the garbage of earlier phases (so that this phase
// is not charged for it) and reads the counters.
func startMeter() meter {
	runtime.GC()
	return readMeter()
}

// stop returns the cost per task of n tasks since m.
func (m meter) stop(n int) cost {
	e := readMeter()
	return cost{
		cpu:    (e.cpu - m.cpu) / time.Duration(n),
		allocs: float64(e.mallocs-m.mallocs) / float64(n),
		bytes:  float64(e.bytes-m.bytes) / float64(n),
	}
}
