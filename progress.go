package taskq

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxProgressMessage bounds a progress message, in bytes; ReportProgress
// cuts longer ones.
const MaxProgressMessage = 1024

// Progress is what a handler last reported about a task: how far its
// attempt got, stored on the task record while the attempt runs.
type Progress struct {
	// Percent is 0 to 100.
	Percent int `json:"percent"`
	// Message is free text for people (at most MaxProgressMessage bytes).
	Message string `json:"message"`
	// Attempt is the attempt that reported it (Task.Attempts then): a
	// retry's progress replaces an earlier attempt's once it reports.
	Attempt int `json:"attempt"`
	// Updated is when the handler reported it.
	Updated time.Time `json:"updated"`
}

// ProgressWriter is an optional StorageAdapter capability: storing a
// running task's progress. Every storage of this module implements it.
type ProgressWriter interface {
	// SetProgress stores p on record id while the record runs attempt
	// p.Attempt (status running and attempts equal to it), as the outcome
	// writes of UpdateAttempt are fenced; otherwise it changes nothing and
	// returns an error matching ErrConflict (ErrNotFound for a missing
	// record). It changes no other field, not even Updated, and
	// UpdateTask and UpdateAttempt leave the stored progress alone: the
	// last one reported stays on the record after the attempt ends.
	SetProgress(ctx context.Context, id string, p Progress) error
}

// ProgressFunc receives a handler's progress reports (see
// ContextWithProgress).
type ProgressFunc func(percent int, message string)

type progressKey struct{}

// ContextWithProgress returns ctx carrying f, which ReportProgress calls.
// Workers set it on each handler's context; tests of a handler can set
// their own to see its reports.
func ContextWithProgress(ctx context.Context, f ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

// ReportProgress reports how far the running handler got: percent from 0
// to 100 and a message (cut to MaxProgressMessage bytes; invalid UTF-8 and
// NUL characters are replaced). The worker running the handler stores it
// on the task, at most once per its ProgressInterval (later reports
// replace earlier ones not yet written; the last is always written before
// the attempt's outcome), without making the handler wait for the
// storage. Outside a worker (no reporter in ctx) it does nothing. A
// percent out of range is an error matching ErrInvalidInput and is not
// reported.
func ReportProgress(ctx context.Context, percent int, message string) error {
	if percent < 0 || percent > 100 {
		return NewError(CodeInvalidInput, fmt.Sprintf("progress percent %d is not between 0 and 100", percent))
	}
	f, _ := ctx.Value(progressKey{}).(ProgressFunc)
	if f == nil {
		return nil
	}
	f(percent, cleanProgressMessage(message))
	return nil
}

// cleanProgressMessage makes m storable everywhere: valid UTF-8 without
// NUL (PostgreSQL's jsonb refuses U+0000), at most MaxProgressMessage
// bytes, cut at a character boundary.
func cleanProgressMessage(m string) string {
	m = strings.ToValidUTF8(m, "\uFFFD")
	m = strings.ReplaceAll(m, "\x00", "\uFFFD")
	if len(m) <= MaxProgressMessage {
		return m
	}
	cut := MaxProgressMessage
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut]
}
