package taskqotel

import (
	"context"
	"errors"

	"github.com/taskq/taskq"
)

// errNoProgress answers SetProgress on a wrapped storage that cannot
// store progress; workers then stop writing the attempt's progress, as
// they store none on such a storage itself.
var errNoProgress = &taskq.Error{Code: taskq.CodeValidation, Message: "this storage cannot store progress", Err: errors.ErrUnsupported}

// SetProgress implements taskq.ProgressWriter with a span around the
// wrapped storage's SetProgress; a storage that cannot store progress
// answers an error matching errors.ErrUnsupported.
func (s *tracedStorage) SetProgress(ctx context.Context, id string, p taskq.Progress) (err error) {
	pw, ok := s.s.(taskq.ProgressWriter)
	if !ok {
		return errNoProgress
	}
	ctx, done := s.span(ctx, "SetProgress", AttrTaskID.String(id))
	defer func() { done(err) }()
	return pw.SetProgress(ctx, id, p)
}
