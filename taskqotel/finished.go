package taskqotel

import (
	"context"
	"time"

	"github.com/taskq/taskq"
)

// tracedFinished traces taskq.FinishedDeleter.
type tracedFinished struct {
	s  *tracedStorage
	fd taskq.FinishedDeleter
}

func (f tracedFinished) DeleteFinished(ctx context.Context, before time.Time, limit int) (_ int, err error) {
	ctx, done := f.s.span(ctx, "DeleteFinished", AttrBatchSize.Int(limit))
	defer func() { done(err) }()
	return f.fd.DeleteFinished(ctx, before, limit)
}
