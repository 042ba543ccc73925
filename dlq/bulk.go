package dlq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/taskq/taskq"
)

// Bounds of RetryFilter.Limit.
const (
	// DefaultRetryLimit is how many entries RetryMatching retries when
	// the filter sets no limit.
	DefaultRetryLimit = 100
	// MaxRetryLimit is the largest limit RetryMatching accepts.
	MaxRetryLimit = 1000
)

// RetryFilter selects dead letter entries for RetryMatching. Zero fields
// match everything.
type RetryFilter struct {
	// Type keeps entries of this task type.
	Type string
	// ErrorCode keeps entries whose final error has this code.
	ErrorCode taskq.ErrorCode
	// Since keeps entries that entered the DLQ at or after this time.
	Since time.Time
	// Until keeps entries that entered the DLQ before this time; zero
	// means the time of the call, so that entries that fail again while
	// the replay runs are not retried twice.
	Until time.Time
	// Limit is how many matching entries are tried at most (retried or
	// failed): 0 means DefaultRetryLimit; above MaxRetryLimit is an
	// error.
	Limit int
}

// RetryFailure is one entry RetryMatching could not retry.
type RetryFailure struct {
	// ID is the task's id.
	ID string `json:"id"`
	// Code and Message say why: conflict for an entry past the DLQ retry
	// limit or past its deadline, not_found for one that left the DLQ
	// meanwhile.
	Code    taskq.ErrorCode `json:"code"`
	Message string          `json:"message"`
}

// RetryResult reports RetryMatching.
type RetryResult struct {
	// Retried holds the ids of the entries sent back to pending, oldest
	// entry first.
	Retried []string `json:"retried"`
	// Failed holds the matching entries that could not be retried.
	Failed []RetryFailure `json:"failed"`
	// More tells that the limit stopped the replay while matching entries
	// may remain.
	More bool `json:"more"`
}

// validate checks f and fills in its defaults.
func (f *RetryFilter) validate(now time.Time) error {
	switch {
	case f.Limit < 0 || f.Limit > MaxRetryLimit:
		return &taskq.Error{Code: taskq.CodeValidation, Message: fmt.Sprintf("limit must be between 1 and %d", MaxRetryLimit),
			Details: []taskq.FieldError{{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxRetryLimit)}}}
	case f.ErrorCode != "" && !f.ErrorCode.Valid():
		return &taskq.Error{Code: taskq.CodeValidation, Message: fmt.Sprintf("unknown error code %q", f.ErrorCode),
			Details: []taskq.FieldError{{Field: "error_code", Message: "unknown error code"}}}
	}
	if f.Limit == 0 {
		f.Limit = DefaultRetryLimit
	}
	if f.Until.IsZero() {
		f.Until = now
	}
	if !f.Since.IsZero() && !f.Since.Before(f.Until) {
		return &taskq.Error{Code: taskq.CodeValidation, Message: "since must be before until",
			Details: []taskq.FieldError{{Field: "since", Message: "must be before until"}}}
	}
	return nil
}

// RetryMatching retries the entries of q that match f, oldest entry first,
// each as q.Retry does (so under the same rules: the DLQ retry limit, the
// task's deadline, the DLQ backoff). An entry that cannot be retried is
// reported in Failed and the replay goes on; an error of the storage stops
// it and is returned with what was done so far (retried entries stay
// retried: running it again continues).
func RetryMatching(ctx context.Context, q taskq.DeadLetterQueue, f RetryFilter) (RetryResult, error) {
	res := RetryResult{Retried: []string{}, Failed: []RetryFailure{}}
	if err := f.validate(time.Now()); err != nil {
		return res, err
	}
	cursor, tried := "", 0
	seen := map[string]bool{}
	for {
		page, err := q.List(ctx, taskq.DeadLetterFilter{Type: f.Type, Limit: taskq.MaxPageSize, Cursor: cursor})
		if err != nil {
			return res, err
		}
		for _, t := range page.Tasks {
			at := t.DeadLetteredAt
			if at != nil && !at.Before(f.Until) {
				return res, nil // oldest first: no later entry matches
			}
			if seen[t.ID] || !matches(t, f) {
				continue
			}
			if tried == f.Limit {
				res.More = true
				return res, nil
			}
			seen[t.ID] = true
			tried++
			_, err := q.Retry(ctx, t.ID)
			switch {
			case err == nil:
				res.Retried = append(res.Retried, t.ID)
			case errors.Is(err, taskq.ErrConflict) || errors.Is(err, taskq.ErrNotFound):
				te := taskq.TaskErrorFrom(err)
				res.Failed = append(res.Failed, RetryFailure{ID: t.ID, Code: te.Code, Message: te.Message})
			default:
				return res, err
			}
		}
		if page.NextCursor == "" {
			return res, nil
		}
		cursor = page.NextCursor
	}
}

// matches reports whether entry t matches f's type, error code and Since
// (Until is checked by the caller).
func matches(t *taskq.Task, f RetryFilter) bool {
	if f.Type != "" && t.Type != f.Type {
		return false
	}
	if f.ErrorCode != "" && (t.Error == nil || t.Error.Code != f.ErrorCode) {
		return false
	}
	if !f.Since.IsZero() && (t.DeadLetteredAt == nil || t.DeadLetteredAt.Before(f.Since)) {
		return false
	}
	return true
}

// RetryMatching retries the matching entries (see the function
// RetryMatching); the call's time, for a zero f.Until, is the DLQ's clock.
func (d *DLQ) RetryMatching(ctx context.Context, f RetryFilter) (RetryResult, error) {
	if f.Until.IsZero() {
		f.Until = d.now()
	}
	return RetryMatching(ctx, d, f)
}
