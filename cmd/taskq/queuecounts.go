package main

import (
	"encoding/json"
	"strconv"
	"time"
)

// flattenQueueTasks replaces the nested storage counts of a queue of GET
// /api/queues (tasks) by table columns: the failed and dead-lettered
// tasks, and the age of the oldest due pending task ("-" when none).
func flattenQueueTasks(row map[string]json.RawMessage) {
	raw, ok := row["tasks"]
	if !ok {
		return
	}
	delete(row, "tasks")
	var t struct {
		Counts          map[string]int64 `json:"counts"`
		OldestPendingAt *string          `json:"oldest_pending_at"`
		AgeSeconds      float64          `json:"oldest_pending_age_seconds"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return
	}
	row["failed"] = json.RawMessage(strconv.FormatInt(t.Counts["failed"], 10))
	row["dead_letter"] = json.RawMessage(strconv.FormatInt(t.Counts["dead_letter"], 10))
	age := "-"
	if t.OldestPendingAt != nil {
		age = (time.Duration(t.AgeSeconds * float64(time.Second))).Round(time.Millisecond).String()
	}
	row["oldest_pending"], _ = json.Marshal(age)
}
