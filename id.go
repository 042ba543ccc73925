package taskq

import "github.com/google/uuid"

// NewID returns a new time-ordered task id: a UUIDv7 (RFC 9562) from
// google/uuid, whose millisecond timestamp and sequence keep ids strictly
// increasing within the process, so that ids sort by creation time as
// strings.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
