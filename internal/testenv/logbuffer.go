package testenv

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer is a log sink safe for concurrent writers: the destination of
// a test's logger when the code under test logs from its own goroutines,
// or of a server's output.
type LogBuffer struct {
	// Cap, when positive, bounds what is kept to the last Cap bytes
	// written.
	Cap int

	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, then drops the oldest bytes beyond Cap.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if over := l.b.Len() - l.Cap; l.Cap > 0 && over > 0 {
		l.b.Next(over)
	}
	return len(p), nil
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines returns what was written so far as lines, without the trailing
// newline.
func (l *LogBuffer) Lines() []string {
	return strings.Split(strings.TrimSpace(l.String()), "\n")
}
