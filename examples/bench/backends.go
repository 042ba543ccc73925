package main

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// backends is one phase's queue, storage and client.
type backends struct {
	store   taskq.StorageAdapter
	queue   taskq.Queue
	client  *taskq.Client
	closers []func()
}

func (b *backends) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// open returns fresh backends for one phase; phase keeps phases of one run
// apart on shared servers.
func open(ctx context.Context, o options, phase string) (*backends, error) {
	b := &backends{}
	switch o.backend {
	case "memory":
		b.store, b.queue = storage.NewMemory(), queue.NewMemory()
	default:
		if err := openExternal(ctx, o, phase, b); err != nil {
			return nil, err
		}
	}
	c, err := taskq.NewClient(b.store, b.queue, taskq.ClientConfig{})
	if err != nil {
		return nil, err
	}
	b.client = c
	return b, nil
}

var errUnknownBackend = fmt.Errorf("unknown -backend: want memory, redis or redis+postgres")
