// Package schedrec holds the checks and normalization shared by the
// storages' taskq.ScheduleStore implementations, so that every storage
// accepts and returns the same schedule definitions.
package schedrec

import (
	"encoding/json"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// MaxName is the longest schedule name.
const MaxName = 128

// Normalize checks s and returns it as a store keeps it: Created set (now
// when zero), in UTC and whole microseconds, metadata copied through JSON
// (numbers as json.Number; nil stays nil), with the metadata's encoding
// ("null" without metadata). prefix starts the error messages.
func Normalize(prefix string, s taskq.StoredSchedule, now time.Time) (taskq.StoredSchedule, []byte, error) {
	switch {
	case !names.Valid(s.Name, MaxName):
		return s, nil, invalid(prefix, "schedule name must be 1-128 letters, digits and ._:-/")
	case s.Spec == "":
		return s, nil, invalid(prefix, "schedule "+s.Name+": empty spec")
	case s.Type == "":
		return s, nil, invalid(prefix, "schedule "+s.Name+": empty task type")
	case !s.Priority.Valid():
		return s, nil, invalid(prefix, "schedule "+s.Name+": priority must be between 0 and 3")
	}
	if s.Created.IsZero() {
		s.Created = now
	}
	s.Created = s.Created.UTC().Truncate(time.Microsecond)
	enc := []byte("null")
	if s.Metadata != nil {
		md, b, err := taskq.NormalizeMetadata(s.Metadata)
		if err != nil {
			return s, nil, invalid(prefix, "schedule "+s.Name+": metadata is not encodable as JSON")
		}
		s.Metadata, enc = md, b
	}
	return s, enc, nil
}

// Decode reads a schedule encoded with json.Marshal, metadata numbers as
// json.Number.
func Decode(b []byte) (taskq.StoredSchedule, error) {
	var s struct {
		taskq.StoredSchedule
		Metadata json.RawMessage `json:"metadata,omitempty"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return taskq.StoredSchedule{}, err
	}
	out := s.StoredSchedule
	out.Metadata = nil
	if len(s.Metadata) > 0 && string(s.Metadata) != "null" {
		md, err := taskq.DecodeMetadata(s.Metadata)
		if err != nil {
			return taskq.StoredSchedule{}, err
		}
		out.Metadata = md
	}
	return out, nil
}

func invalid(prefix, msg string) error {
	return &taskq.Error{Code: taskq.CodeInvalidInput, Message: prefix + msg}
}
