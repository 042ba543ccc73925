package taskq

import (
	"context"
	"time"
)

// ScheduleStore is an optional StorageAdapter capability: periodic
// schedule definitions kept with the records, so that schedules created
// at run time survive restarts and are shared by every process on the
// storage. The periodic package reads them (periodic.Config.Source) and
// enqueues their tasks; the store only keeps the definitions.
type ScheduleStore interface {
	// CreateSchedule stores s, stamping Created when it is zero. It
	// returns an error matching ErrConflict when a schedule of that name
	// exists, and one of code invalid_input when Name, Spec or Type is
	// empty or Metadata cannot be encoded as JSON.
	CreateSchedule(ctx context.Context, s StoredSchedule) error
	// DeleteSchedule removes the schedule; ErrNotFound when there is
	// none of that name.
	DeleteSchedule(ctx context.Context, name string) error
	// ListSchedules returns every stored schedule, sorted by name.
	// Metadata numbers come back as json.Number.
	ListSchedules(ctx context.Context) ([]StoredSchedule, error)
}

// StoredSchedule is the serializable definition of a periodic schedule
// (see package periodic for the meaning of each field).
type StoredSchedule struct {
	// Name identifies the schedule: letters, digits and ._:-/, at most
	// 128.
	Name string `json:"name"`
	// Spec is a cron expression (5 fields, or 6 with leading seconds), a
	// descriptor such as @daily, or "@every <duration>" for a fixed
	// interval.
	Spec string `json:"spec"`
	// TimeZone is the IANA zone the cron fields are read in; empty: UTC.
	TimeZone string `json:"timezone,omitempty"`
	// Type and Metadata are the task enqueued at each tick.
	Type     string         `json:"type"`
	Metadata map[string]any `json:"metadata,omitempty"`
	// Queue is the task's queue; empty: the client's default.
	Queue string `json:"queue,omitempty"`
	// Priority is the task's priority.
	Priority TaskPriority `json:"priority"`
	// Missed is the missed tick policy ("skip" or "catch_up_once");
	// empty: skip.
	Missed string `json:"missed,omitempty"`
	// Created is when the schedule was stored; no tick before it is
	// enqueued.
	Created time.Time `json:"created"`
}
