package taskq

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// StorageIdentity is an optional StorageAdapter capability: the id of the
// data set the storage holds, the same in every process that opens it (a
// PostgreSQL schema, for example) and different for another data set.
type StorageIdentity interface {
	// StorageID returns the id, creating it on first use.
	StorageID(ctx context.Context) (string, error)
}

// QueueBinding is an optional Queue capability for queues whose state is
// shared between processes (Redis). A shared queue must serve one storage
// only: two deployments sharing a Redis key prefix would lease each other's
// task ids and find no record for them.
type QueueBinding interface {
	// BindStorage records storageID as the queue's storage on first use
	// and accepts it again later; another id gives an error matching
	// ErrStorageMismatch.
	BindStorage(ctx context.Context, storageID string) error
}

// ErrStorageMismatch says a queue is bound to another storage than the one
// it is used with: its key prefix belongs to another deployment.
var ErrStorageMismatch = &Error{Code: CodeConflict, kind: "storage_mismatch",
	Message: "queue is bound to another storage (a key prefix belongs to one deployment)"}

// NewStorageMismatchError returns an error matching ErrStorageMismatch with
// a message naming both storages.
func NewStorageMismatchError(queue, bound, got string) *Error {
	return &Error{Code: CodeConflict, kind: ErrStorageMismatch.kind,
		Message: "queue " + queue + " is bound to storage " + bound + ", not " + got +
			": a key prefix belongs to one deployment; give this deployment its own prefix"}
}

// BindQueue binds queue to store when the queue is shared (QueueBinding)
// and the store names its data (StorageIdentity); otherwise it does
// nothing. The Client and the worker call it before first use.
func BindQueue(ctx context.Context, store StorageAdapter, queue Queue) error {
	qb, ok := queue.(QueueBinding)
	if !ok {
		return nil
	}
	si, ok := store.(StorageIdentity)
	if !ok {
		return nil
	}
	id, err := si.StorageID(ctx)
	if err != nil {
		return err
	}
	return qb.BindStorage(ctx, id)
}

// binder runs BindQueue until it succeeds once. An unavailable backend is
// not a mismatch: check lets the caller go on (the record is the truth; a
// push that fails is retried by the reconciler) and tries again next time.
type binder struct {
	done atomic.Bool
	mu   sync.Mutex
}

func (b *binder) bind(ctx context.Context, store StorageAdapter, queue Queue) error {
	if b.done.Load() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done.Load() {
		return nil
	}
	if err := BindQueue(ctx, store, queue); err != nil {
		return err
	}
	b.done.Store(true)
	return nil
}

// check binds, treating an unavailable backend as "not known yet".
func (b *binder) check(ctx context.Context, store StorageAdapter, queue Queue) error {
	if err := b.bind(ctx, store, queue); err != nil && !errors.Is(err, ErrUnavailable) {
		return err
	}
	return nil
}
