// Package flow holds the arithmetic of taskq.Limits shared by the queue
// backends: which caps apply to a lease and the token buckets of start
// rates.
package flow

import (
	"math"
	"slices"
	"time"

	"github.com/taskq/taskq"
)

// QueueCap is the concurrency cap of queue under l, 0 for none.
func QueueCap(l *taskq.Limits, queue string) int {
	if l == nil {
		return 0
	}
	return max(l.QueueConcurrency[queue], 0)
}

// Active reports whether l caps anything in queue.
func Active(l *taskq.Limits, queue string) bool {
	if l == nil {
		return false
	}
	if QueueCap(l, queue) > 0 {
		return true
	}
	for _, n := range l.TypeConcurrency {
		if n > 0 {
			return true
		}
	}
	for _, r := range l.TypeRate {
		if RateActive(r) {
			return true
		}
	}
	return false
}

// TypeCap is the concurrency cap of typ under l, 0 for none.
func TypeCap(l *taskq.Limits, typ string) int {
	if l == nil || typ == "" {
		return 0
	}
	return max(l.TypeConcurrency[typ], 0)
}

// TypeRate is the start rate of typ under l and whether it limits anything.
func TypeRate(l *taskq.Limits, typ string) (taskq.Rate, bool) {
	if l == nil || typ == "" {
		return taskq.Rate{}, false
	}
	r := l.TypeRate[typ]
	return r, RateActive(r)
}

// RateActive reports whether r limits anything.
func RateActive(r taskq.Rate) bool { return r.N > 0 && r.Per > 0 }

// Refill returns the tokens of a bucket of r that held tokens elapsed ago,
// at most r.N.
func Refill(r taskq.Rate, tokens float64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return math.Min(tokens, float64(r.N))
	}
	return math.Min(float64(r.N), tokens+float64(r.N)*float64(elapsed)/float64(r.Per))
}

// Typed lists the types l caps (by concurrency or rate), sorted, so a
// backend can load their counts and buckets in one step.
func Typed(l *taskq.Limits) []string {
	if l == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for t, n := range l.TypeConcurrency {
		if n > 0 && t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for t, r := range l.TypeRate {
		if RateActive(r) && t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}
