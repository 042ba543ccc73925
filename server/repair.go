package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// RepairResult reports what Repair did.
type RepairResult struct {
	// Scanned counts the records read.
	Scanned int `json:"scanned"`
	// Repaired counts records kept after their run_at, started_at,
	// completed_at, dead_lettered_at or updated were clamped into the
	// encodable range (years 1-9999) or a result that is not JSON was
	// dropped.
	Repaired int `json:"repaired"`
	// Deleted counts records removed because a field no update may
	// change (created, deadline) cannot be encoded.
	Deleted int `json:"deleted"`
	// Failed counts records that changed while being repaired (a worker
	// moved them): run the repair again.
	Failed int `json:"failed"`
}

// Bounds of the times JSON (RFC 3339) can carry.
var (
	minEncodable = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxEncodable = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// Repair walks every task record of store and fixes those the server
// cannot encode as JSON (stored by an older version, by hand, or by a
// program writing to the storage directly): times out of the years 1-9999
// that an update may change are clamped into them and a result that is
// not valid JSON is dropped; a record whose creation time or deadline is
// out of range is deleted, and its id removed from queue (when not nil).
// Every record is checked against its current status, so a worker moving
// one meanwhile is not overwritten (it counts as Failed).
func Repair(ctx context.Context, store taskq.StorageAdapter, queue taskq.Queue, log *slog.Logger) (RepairResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res RepairResult
	f := taskq.TaskFilter{Limit: taskq.MaxPageSize}
	for {
		page, err := store.ListTasks(ctx, f)
		if err != nil {
			return res, err
		}
		for _, t := range page.Tasks {
			res.Scanned++
			if _, err := json.Marshal(t); err == nil {
				continue
			}
			if err := repairTask(ctx, store, queue, t, &res); err != nil {
				if errors.Is(err, taskq.ErrConflict) || errors.Is(err, taskq.ErrNotFound) {
					res.Failed++
					log.WarnContext(ctx, "repair: task changed meanwhile", "task_id", t.ID, "error", err)
					continue
				}
				return res, err
			}
		}
		if page.NextCursor == "" {
			return res, nil
		}
		f.Cursor = page.NextCursor
	}
}

// repairTask fixes or deletes one record that cannot be encoded.
func repairTask(ctx context.Context, store taskq.StorageAdapter, queue taskq.Queue, t *taskq.Task, res *RepairResult) error {
	c := t.Clone()
	c.RunAt = clampTime(c.RunAt)
	c.Updated = clampTime(c.Updated)
	c.StartedAt = clampPtr(c.StartedAt)
	c.CompletedAt = clampPtr(c.CompletedAt)
	c.DeadLetteredAt = clampPtr(c.DeadLetteredAt)
	if c.Result != nil && !json.Valid(c.Result) {
		c.Result = nil
	}
	if _, err := json.Marshal(c); err == nil {
		if err := store.UpdateTask(ctx, c, t.Status); err != nil {
			return err
		}
		res.Repaired++
		return nil
	}
	if err := store.DeleteTask(ctx, t.ID); err != nil {
		return err
	}
	if queue != nil {
		if err := queue.Remove(ctx, t.Queue, t.ID); err != nil {
			return err
		}
	}
	res.Deleted++
	return nil
}

func clampTime(t time.Time) time.Time {
	switch {
	case t.Before(minEncodable):
		return minEncodable
	case t.After(maxEncodable):
		return maxEncodable
	}
	return t
}

func clampPtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := clampTime(*p)
	return &v
}

// repair serves POST /api/admin/repair: Repair on the server's backends.
func (s *Server) repair(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	res, err := Repair(r.Context(), s.store, s.queue, s.log)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "repair done", "request_id", requestID(r.Context()),
		"scanned", res.Scanned, "repaired", res.Repaired, "deleted", res.Deleted, "failed", res.Failed)
	s.writeJSON(w, r, http.StatusOK, res)
	return nil
}
