package taskq

import "github.com/google/uuid"

// NewID returns a new time-ordered task id (UUIDv7, monotonic within the
// process), so ids sort by creation time.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only when the system random source fails.
		panic("taskq: cannot generate id: " + err.Error())
	}
	return id.String()
}
