package taskq

import (
	"fmt"
	"strconv"
	"strings"
)

// TaskPriority orders ready tasks: higher runs first.
type TaskPriority int

// The four priorities, LOW=0 through CRITICAL=3.
const (
	PriorityLow      TaskPriority = 0
	PriorityMedium   TaskPriority = 1
	PriorityHigh     TaskPriority = 2
	PriorityCritical TaskPriority = 3
)

// NumPriorities is the number of priority levels.
const NumPriorities = 4

// Priorities returns the priorities from highest to lowest, in a new slice.
func Priorities() []TaskPriority {
	return []TaskPriority{PriorityCritical, PriorityHigh, PriorityMedium, PriorityLow}
}

var priorityNames = [NumPriorities]string{"low", "medium", "high", "critical"}

// Valid reports whether p is between LOW and CRITICAL.
func (p TaskPriority) Valid() bool { return p >= PriorityLow && p <= PriorityCritical }

// String returns the lower-case name, e.g. "high".
func (p TaskPriority) String() string {
	if p.Valid() {
		return priorityNames[p]
	}
	return strconv.Itoa(int(p))
}

// ParseTaskPriority parses a priority name (case-insensitive) or number 0-3.
func ParseTaskPriority(v string) (TaskPriority, error) {
	t := strings.ToLower(strings.TrimSpace(v))
	for i, n := range priorityNames {
		if t == n {
			return TaskPriority(i), nil
		}
	}
	if n, err := strconv.Atoi(t); err == nil {
		if p := TaskPriority(n); p.Valid() {
			return p, nil
		}
		return 0, NewError(CodeValidation, "priority must be between 0 and 3")
	}
	return 0, NewError(CodeInvalidInput, fmt.Sprintf("unknown priority %q", v))
}

// MarshalText implements encoding.TextMarshaler (the number).
func (p TaskPriority) MarshalText() ([]byte, error) {
	return []byte(strconv.Itoa(int(p))), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts names and
// numbers.
func (p *TaskPriority) UnmarshalText(b []byte) error {
	v, err := ParseTaskPriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalJSON writes the priority as an integer.
func (p TaskPriority) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Itoa(int(p))), nil
}

// UnmarshalJSON accepts an integer 0-3 or a name such as "high".
func (p *TaskPriority) UnmarshalJSON(b []byte) error {
	return p.UnmarshalText(unquote(b))
}
