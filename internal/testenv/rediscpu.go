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
	calls, err := r.commandStat("calls")
	for name, n := range calls {
		if isScriptCommand(name) {
			scripts += n
		} else {
			cmds += n
		}
	}
	return scripts, cmds, err
}

// ScriptTime is the time the server spent in scripts so far (the usec of
// EVALSHA and EVAL in INFO commandstats, the commands they ran
// included): unlike CPUTime it leaves out reading requests and writing
// replies, so it shows what a change to a script costs or saves.
func (r *Redis) ScriptTime() (time.Duration, error) {
	usec, err := r.commandStat("usec")
	var total float64
	for name, us := range usec {
		if isScriptCommand(name) {
			total += us
		}
	}
	return time.Duration(total * float64(time.Microsecond)), err
}

// isScriptCommand reports whether an INFO commandstats name is a script
// call.
func isScriptCommand(name string) bool { return name == "cmdstat_evalsha" || name == "cmdstat_eval" }

// commandStat returns field (calls, usec, ...) of every command of INFO
// commandstats, by its cmdstat_ name.
func (r *Redis) commandStat(field string) (map[string]float64, error) {
	info, err := r.Do("INFO", "commandstats")
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, field+"="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, fmt.Errorf("INFO commandstats %s: %w", name, err)
				}
				out[name] += f
			}
		}
	}
	return out, nil
}
