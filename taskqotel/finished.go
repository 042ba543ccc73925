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

// withFinished composes a traced storage that keeps taskq.FinishedDeleter
// with the other capabilities s has.
func withFinished(base *tracedStorage, fd tracedFinished, si taskq.StorageIdentity, ident bool,
	or taskq.OutboxRelay, outbox bool, p pauserStorage, pause bool) taskq.StorageAdapter {
	switch {
	case ident && outbox && pause:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
		}{base, fd, si, or, p}
	case outbox && pause:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.OutboxRelay
			pauserStorage
		}{base, fd, or, p}
	case ident && pause:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.StorageIdentity
			pauserStorage
		}{base, fd, si, p}
	case ident && outbox:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.StorageIdentity
			taskq.OutboxRelay
		}{base, fd, si, or}
	case pause:
		return struct {
			*tracedStorage
			tracedFinished
			pauserStorage
		}{base, fd, p}
	case outbox:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.OutboxRelay
		}{base, fd, or}
	case ident:
		return struct {
			*tracedStorage
			tracedFinished
			taskq.StorageIdentity
		}{base, fd, si}
	}
	return struct {
		*tracedStorage
		tracedFinished
	}{base, fd}
}
