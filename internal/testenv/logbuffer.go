package testenv

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer is a log sink safe for concurrent writers: the destination of
// a test's logger when the code under test logs from its own goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
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
