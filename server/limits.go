package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/taskq/taskq"
)

// limitSettings are the flow-control settings (see taskq.Limits): caps
// enforced by the queue backend for every server sharing it, so give them
// the same values on every server.
func (c *Config) limitSettings() []setting {
	return []setting{
		{"queue-concurrency", "TASKQ_QUEUE_CONCURRENCY", "running tasks per queue, cluster-wide: queue=n,...", capsSetting(&c.Limits.QueueConcurrency), "none"},
		{"type-concurrency", "TASKQ_TYPE_CONCURRENCY", "running tasks per type and queue, cluster-wide: type=n,...", capsSetting(&c.Limits.TypeConcurrency), "none"},
		{"type-rate", "TASKQ_TYPE_RATE", "starts per type and queue, cluster-wide: type=n/duration,... (email.send=100/1s)", ratesSetting(&c.Limits.TypeRate), "none"},
	}
}

// pairs splits "k=v,k=v" into its pairs; a key may contain '=' only
// before the last one.
func pairs(v string, each func(k, v string) error) error {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndexByte(item, '=')
		if i <= 0 {
			return fmt.Errorf("%q is not name=value", item)
		}
		if err := each(strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])); err != nil {
			return fmt.Errorf("%s: %w", item[:i], err)
		}
	}
	return nil
}

func capsSetting(p *map[string]int) func(string) error {
	return func(v string) error {
		m := map[string]int{}
		err := pairs(v, func(k, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a positive integer", v)
			}
			m[k] = n
			return nil
		})
		if err != nil {
			return err
		}
		*p = m
		return nil
	}
}

func ratesSetting(p *map[string]taskq.Rate) func(string) error {
	return func(v string) error {
		m := map[string]taskq.Rate{}
		err := pairs(v, func(k, v string) error {
			ns, per, ok := strings.Cut(v, "/")
			n, err := strconv.Atoi(strings.TrimSpace(ns))
			if !ok || err != nil || n < 1 {
				return fmt.Errorf("%q is not n/duration with n a positive integer (100/1s)", v)
			}
			d, err := time.ParseDuration(strings.TrimSpace(per))
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not n/duration with a positive duration (100/1s)", v)
			}
			m[k] = taskq.Rate{N: n, Per: d}
			return nil
		})
		if err != nil {
			return err
		}
		*p = m
		return nil
	}
}

// workerLimits is the worker's Limits: nil when the settings cap nothing.
func (c Config) workerLimits() *taskq.Limits {
	if c.Limits.Empty() {
		return nil
	}
	l := c.Limits
	return &l
}
