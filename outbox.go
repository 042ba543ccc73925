package taskq

import "context"

// OutboxRelay is an optional StorageAdapter capability of a storage that
// creates tasks inside its users' own transactions (storage/postgres's
// TxEnqueuer). Such a task cannot be pushed on the Queue by the code that
// created it, which does not know whether the transaction will commit:
// the transaction records the push in an outbox instead, and RelayOutbox
// carries it out once the transaction has committed. The worker runs it
// while it runs.
type OutboxRelay interface {
	// RelayOutbox pushes the tasks of committed outbox entries on queue
	// (idempotently by task id, so several relays may run at once) until
	// ctx ends, and returns nil then. It returns at once when the storage
	// has no outbox to relay.
	RelayOutbox(ctx context.Context, queue Queue) error
}
