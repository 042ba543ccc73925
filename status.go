package taskq

import (
	"fmt"
	"strconv"
	"strings"
)

// TaskStatus is the lifecycle state of a task.
type TaskStatus string

// The task statuses. Terminal states are completed, cancelled and dead_letter.
const (
	// StatusPending means the task waits to be leased by a worker.
	StatusPending TaskStatus = "pending"
	// StatusRunning means a worker holds the task and runs its handler.
	StatusRunning TaskStatus = "running"
	// StatusCompleted means the handler succeeded; terminal.
	StatusCompleted TaskStatus = "completed"
	// StatusFailed means the last attempt failed and a retry is scheduled.
	StatusFailed TaskStatus = "failed"
	// StatusCancelled means the task was cancelled; terminal.
	StatusCancelled TaskStatus = "cancelled"
	// StatusDeadLetter means the task is in the dead letter queue; terminal
	// until a DLQ retry.
	StatusDeadLetter TaskStatus = "dead_letter"
)

var statuses = [...]TaskStatus{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled, StatusDeadLetter}

// Statuses returns every status in declaration order, in a new slice; a
// status' index in it is its number.
func Statuses() []TaskStatus { return append([]TaskStatus(nil), statuses[:]...) }

// Valid reports whether s is one of the known statuses.
func (s TaskStatus) Valid() bool {
	switch s {
	case StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled, StatusDeadLetter:
		return true
	}
	return false
}

// Terminal reports whether s is final: completed, cancelled or dead_letter.
func (s TaskStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusCancelled || s == StatusDeadLetter
}

// String returns the status name.
func (s TaskStatus) String() string { return string(s) }

// ParseTaskStatus parses a status name (case-insensitive) or its index in
// [Statuses].
func ParseTaskStatus(v string) (TaskStatus, error) {
	s := TaskStatus(strings.ToLower(strings.TrimSpace(v)))
	if s.Valid() {
		return s, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(statuses) {
		return statuses[n], nil
	}
	return "", NewError(CodeInvalidInput, fmt.Sprintf("unknown task status %q", v))
}

// MarshalText implements encoding.TextMarshaler.
func (s TaskStatus) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, NewError(CodeInvalidInput, fmt.Sprintf("unknown task status %q", string(s)))
	}
	return []byte(s), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts names and
// numbers.
func (s *TaskStatus) UnmarshalText(b []byte) error {
	v, err := ParseTaskStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UnmarshalJSON accepts a status name or its number.
func (s *TaskStatus) UnmarshalJSON(b []byte) error {
	return s.UnmarshalText(unquote(b))
}

func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}
