package testenv

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the CPU time (user and system) used so far by the server's
// processes: the postmaster, its live backends and the backends it has
// reaped. Benchmarks subtract two readings to report the database's CPU
// per operation, which a loaded machine changes much less than
// throughput. It returns 0 when the server is not running or /proc cannot
// be read.
func (p *Postgres) CPUTime() time.Duration {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	return treeCPUTime(cmd.Process.Pid)
}

// treeCPUTime sums utime, stime, cutime and cstime (clock ticks, 100 a
// second on Linux) of process root and its children. (PostgreSQL's
// backends make themselves process group leaders, so the group is not
// the tree.)
func treeCPUTime(root int) time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 > len(s) {
			continue
		}
		// After the command: state(3) ppid(4) ... utime(14) stime(15)
		// cutime(16) cstime(17).
		f := strings.Fields(s[i+2:])
		if len(f) < 15 {
			continue
		}
		pid, _ := strconv.Atoi(e.Name())
		if ppid, _ := strconv.Atoi(f[1]); pid != root && ppid != root {
			continue
		}
		for _, k := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100
}
