package taskq

import "context"

// Usage is what one owner holds in a storage.
type Usage struct {
	// Pending counts the owner's tasks that are not terminal: pending,
	// running or failed (to be retried).
	Pending int64
	// MetadataBytes sums the sizes of the stored JSON encoding of the
	// metadata of every stored task of the owner (terminal ones included,
	// until they are deleted). Backends encode JSON slightly differently,
	// so the same metadata may count a few bytes more on one than another.
	MetadataBytes int64
	// DeadLetter counts the owner's dead letter entries.
	DeadLetter int64
}

// OwnerUsage is implemented by storages that keep each owner's [Usage]
// counted as records change, so reading it costs one lookup and not a scan.
// The reference server uses it to enforce per-owner quotas. Tasks without
// an owner are counted under the empty owner.
type OwnerUsage interface {
	// Usage returns the current usage of owner (zero for an unknown one).
	Usage(ctx context.Context, owner string) (Usage, error)
}

// DeadLetterEvictions is implemented by storages that tell whose entries
// their DLQ size cap evicted (see MoveTaskToDeadLetter). The dlq package
// passes the counts to an Observer that implements EvictionObserver.
type DeadLetterEvictions interface {
	// TakeDeadLetterEvictions returns how many entries this storage
	// instance evicted per owner since the previous call (the empty owner
	// for tasks without one), or nil, and starts counting anew.
	TakeDeadLetterEvictions() map[string]int
}

// EvictionObserver is an optional interface of an Observer: it learns
// whose dead letter entries the size cap evicted.
type EvictionObserver interface {
	// DeadLetterEvicted reports n entries of owner evicted.
	DeadLetterEvicted(owner string, n int)
}
