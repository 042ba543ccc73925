package testenv

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the server's CPU time so far (used_cpu_sys + used_cpu_user
// of INFO cpu). Benchmarks subtract two readings to report the server's
// CPU per operation: on two cores the single-threaded server is often
// what bounds a Redis deployment's rate.
func (r *Redis) CPUTime() (time.Duration, error) {
	info, err := r.Do("INFO", "cpu")
	if err != nil {
		return 0, err
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("INFO cpu %s: %w", k, err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second)), nil
}

// Calls returns the number of script calls (EVALSHA and EVAL) served so
// far, and of the other commands: those the scripts ran, and INFO.
func (r *Redis) Calls() (scripts, cmds float64, err error) {
	info, err := r.Do("INFO", "commandstats")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		v, _, _ := strings.Cut(rest, ",")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("INFO commandstats %s: %w", name, err)
		}
		if name == "cmdstat_evalsha" || name == "cmdstat_eval" {
			scripts += f
		} else {
			cmds += f
		}
	}
	return scripts, cmds, nil
}

// ScriptTime is the time the server spent in scripts so far (the usec of
// EVALSHA and EVAL in INFO commandstats, the commands they ran
// included): unlike CPUTime it leaves out reading requests and writing
// replies, so it shows what a change to a script costs or saves.
func (r *Redis) ScriptTime() (time.Duration, error) {
	info, err := r.Do("INFO", "commandstats")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "cmdstat_evalsha" && name != "cmdstat_eval") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				us, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("INFO commandstats %s: %w", name, err)
				}
				total += time.Duration(us) * time.Microsecond
			}
		}
	}
	return total, nil
}
