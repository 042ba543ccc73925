package taskq

import (
	"context"
	"time"
)

// FinishedDeleter is an optional StorageAdapter capability: deleting the
// records of finished tasks (completed or cancelled) in bounded batches,
// so that a retention job keeps the storage from growing without bound.
// Dead letter entries are not finished tasks: the dead letter queue has
// its own size cap and retention. Workers elected for maintenance call it
// (see worker.Config.TaskRetention); every storage of this module has it.
type FinishedDeleter interface {
	// DeleteFinished deletes up to limit completed or cancelled records
	// whose CompletedAt is before before, oldest first, and returns how
	// many it deleted. Each call is short and atomic per record, so it
	// never holds back concurrent writes for long; call it again while it
	// returns limit.
	DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error)
}

// RetentionObserver is an optional interface of an Observer: it learns how
// many finished records the retention job deleted.
type RetentionObserver interface {
	// FinishedDeleted reports n finished records deleted by retention.
	FinishedDeleted(n int)
}
