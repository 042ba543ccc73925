package taskq

import "context"

// QueuePauser is an optional StorageAdapter capability: queues paused by
// name. A paused queue keeps accepting tasks; workers lease none of its
// tasks until it is resumed (within about a second: workers cache the
// paused set briefly). The state is stored with the records, so it
// survives restarts and is shared by every process on the storage.
type QueuePauser interface {
	// PauseQueue pauses the queue; pausing a paused queue does nothing.
	PauseQueue(ctx context.Context, queue string) error
	// ResumeQueue resumes the queue; resuming a running queue does
	// nothing.
	ResumeQueue(ctx context.Context, queue string) error
	// PausedQueues lists the paused queues, sorted.
	PausedQueues(ctx context.Context) ([]string, error)
}

// errNoPause answers pause calls on a storage without QueuePauser.
var errNoPause = &Error{Code: CodeValidation, Message: "this storage cannot pause queues"}

// PauseQueue pauses a queue (see QueuePauser).
func (c *Client) PauseQueue(ctx context.Context, queue string) error {
	p, ok := c.store.(QueuePauser)
	if !ok {
		return errNoPause
	}
	return p.PauseQueue(ctx, queue)
}

// ResumeQueue resumes a paused queue (see QueuePauser).
func (c *Client) ResumeQueue(ctx context.Context, queue string) error {
	p, ok := c.store.(QueuePauser)
	if !ok {
		return errNoPause
	}
	return p.ResumeQueue(ctx, queue)
}

// PausedQueues lists the paused queues; nil when the storage cannot pause
// queues.
func (c *Client) PausedQueues(ctx context.Context) ([]string, error) {
	p, ok := c.store.(QueuePauser)
	if !ok {
		return nil, nil
	}
	return p.PausedQueues(ctx)
}
