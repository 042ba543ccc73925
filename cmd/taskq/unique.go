package main

import (
	"flag"
	"strings"
	"time"
)

// uniqueFlags are the flags of tasks enqueue that build the unique object
// of POST /api/tasks.
type uniqueFlags struct {
	on, byArgs, byQueue bool
	fields, key, states string
	period              time.Duration
}

func addUniqueFlags(fs *flag.FlagSet) *uniqueFlags {
	u := &uniqueFlags{}
	fs.BoolVar(&u.on, "unique", false, "unique task: while a task of this type (and the --unique-* dimensions) is pending, running or failed, return it instead of creating one")
	fs.BoolVar(&u.byArgs, "unique-by-args", false, "unique by metadata too (implies --unique)")
	fs.StringVar(&u.fields, "unique-fields", "", "unique by these top-level metadata fields, comma-separated (implies --unique)")
	fs.BoolVar(&u.byQueue, "unique-by-queue", false, "unique by queue too (implies --unique)")
	fs.StringVar(&u.key, "unique-key", "", "unique by this key too (implies --unique)")
	fs.DurationVar(&u.period, "unique-period", 0, "unique within each period of run_at, e.g. 1h (implies --unique)")
	fs.StringVar(&u.states, "unique-states", "", "statuses in which an existing task blocks a new one, comma-separated (default pending,running,failed; implies --unique)")
	return u
}

// body returns the unique object, or nil when no unique flag is set.
func (u *uniqueFlags) body() (map[string]any, error) {
	if !u.on && !u.byArgs && !u.byQueue && u.fields == "" && u.key == "" && u.period == 0 && u.states == "" {
		return nil, nil
	}
	if u.period < 0 {
		return nil, errorf("--unique-period must not be negative")
	}
	m := map[string]any{}
	if u.byArgs {
		m["by_args"] = true
	}
	if u.byQueue {
		m["by_queue"] = true
	}
	if u.fields != "" {
		m["fields"] = strings.Split(u.fields, ",")
	}
	if u.key != "" {
		m["key"] = u.key
	}
	if u.period > 0 {
		m["period_ms"] = u.period.Milliseconds()
	}
	if u.states != "" {
		m["states"] = strings.Split(u.states, ",")
	}
	return m, nil
}
