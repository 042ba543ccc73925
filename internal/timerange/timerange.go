// Package timerange bounds the times the engine accepts: every time it
// stores must be representable in JSON (RFC 3339 has four-digit years) and
// in every storage, whatever offset it was given with, so that a record
// once stored can always be served again.
package timerange

import "time"

var (
	min = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	max = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// Valid reports whether t, in UTC, lies between 0001-01-01 and the end of
// 9999.
func Valid(t time.Time) bool {
	return !t.Before(min) && !t.After(max)
}

// Message is the text of a validation error for a time out of range.
const Message = "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z"
