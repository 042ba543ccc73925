package worker

import (
	"context"

	"github.com/taskq/taskq"
)

// HandleArgs registers fn as the handler of the typed task T: its type is
// the zero T's Kind(), and fn receives the task with its metadata decoded
// into a T. A task whose metadata does not decode into T fails permanently
// (straight to the dead letter queue) with an error naming T. Like Handle,
// it panics when the type already has a handler.
func HandleArgs[T taskq.Args](w *Worker, fn func(ctx context.Context, job *taskq.Job[T]) (any, error)) {
	var zero T
	w.Handle(zero.Kind(), taskq.HandlerFunc(func(ctx context.Context, t *taskq.Task) (any, error) {
		args, err := taskq.DecodeArgs[T](t)
		if err != nil {
			return nil, err
		}
		return fn(ctx, &taskq.Job[T]{Task: t, Args: args})
	}))
}
