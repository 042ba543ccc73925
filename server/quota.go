package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/metrics"
)

// checkStorable refuses a task the server could store but never serve
// again: its JSON encoding must succeed before it is stored. The metadata
// of a task built by Client.NewTask is already known to encode (NewTask
// refuses metadata that does not, and keeps its decoded JSON values), and
// of the other fields only a time can fail to encode (encoding/json
// refuses a year outside 0-9999): the times are checked without encoding
// the task (TestCheckStorableMatchesEncoding holds this to json.Marshal
// for every time field of taskq.Task).
func checkStorable(t *taskq.Task) error {
	for _, f := range [...]struct {
		name string
		at   *time.Time
	}{
		{"created", &t.Created}, {"updated", &t.Updated}, {"run_at", &t.RunAt},
		{"completed_at", t.CompletedAt}, {"deadline", t.Deadline},
		{"started_at", t.StartedAt}, {"dead_lettered_at", t.DeadLetteredAt},
	} {
		if f.at != nil && (f.at.Year() < 0 || f.at.Year() > 9999) {
			return validationError([]taskq.FieldError{{Field: "task",
				Message: "cannot be encoded as JSON: " + f.name + ": year outside of range [0,9999]"}})
		}
	}
	if t.Progress != nil && (t.Progress.Updated.Year() < 0 || t.Progress.Updated.Year() > 9999) {
		return validationError([]taskq.FieldError{{Field: "task", Message: "cannot be encoded as JSON: progress: year outside of range [0,9999]"}})
	}
	return nil
}

// checkQuota refuses a new task of owner beyond Config.QuotaPendingTasks
// or Config.QuotaMetadataBytes (429 quota_exceeded). The usage is read
// from the storage's counters (taskq.OwnerUsage); a storage without them
// is not limited. The check precedes the creation, so concurrent requests
// of one owner may each pass it: the overshoot is bounded by their number.
// bodyLen is the request body's length (negative: unknown), which bounds
// the size of the metadata; while the owner is far from its quotas the
// check is answered from the usage cache (see usageCache).
func (s *Server) checkQuota(ctx context.Context, t *taskq.Task, bodyLen int64) error {
	pending, metaMax := s.cfg.QuotaPendingTasks, s.cfg.QuotaMetadataBytes
	if pending <= 0 && metaMax <= 0 {
		return nil
	}
	ou, ok := s.store.(taskq.OwnerUsage)
	if !ok {
		return nil
	}
	mdBound := int64(-1)
	if bodyLen >= 0 {
		mdBound = jsonExpansion * bodyLen
	}
	now := time.Now()
	if s.usage.admit(t.Owner, pending, metaMax, mdBound, now) {
		return nil
	}
	u, err := ou.Usage(ctx, t.Owner)
	if err != nil {
		return err
	}
	s.usage.store(t.Owner, u, max(mdBound, 0), now)
	if pending > 0 && u.Pending >= int64(pending) {
		s.metrics.QuotaExceeded(metrics.QuotaPendingTasks)
		return quotaError(fmt.Sprintf("quota exceeded: %d tasks pending, running or failed (at most %d); wait for some to finish or cancel some", u.Pending, pending))
	}
	if metaMax > 0 && t.Metadata != nil {
		md, err := json.Marshal(t.Metadata)
		if err != nil {
			return err
		}
		if u.MetadataBytes+int64(len(md)) > metaMax {
			s.metrics.QuotaExceeded(metrics.QuotaMetadataBytes)
			return quotaError(fmt.Sprintf("quota exceeded: stored metadata would exceed %d bytes (%d in use); delete finished tasks to free some", metaMax, u.MetadataBytes))
		}
	}
	return nil
}

func quotaError(msg string) error {
	return &taskq.Error{Code: taskq.CodeQuotaExceeded, Message: msg}
}
