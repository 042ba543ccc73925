package queue

import (
	"math"
	"time"
)

// Times are kept as Unix nanoseconds, saturated at the ends of the int64
// range so that far-future run times (year 9999) stay far in the future.
var (
	maxTime = time.Unix(0, math.MaxInt64)
	minTime = time.Unix(0, math.MinInt64)
)

// unixNano converts t to saturated Unix nanoseconds.
func unixNano(t time.Time) int64 {
	if t.After(maxTime) {
		return math.MaxInt64
	}
	if t.Before(minTime) {
		return math.MinInt64
	}
	return t.UnixNano()
}

// addNanos is t+d without overflow.
func addNanos(t int64, d time.Duration) int64 {
	s := t + int64(d)
	if d > 0 && s < t {
		return math.MaxInt64
	}
	if d < 0 && s > t {
		return math.MinInt64
	}
	return s
}

// fromNanos converts Unix nanoseconds to a UTC time.
func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}
