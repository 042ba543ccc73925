package redisstore

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisconn"
)

// errClosed is returned by every method after Close.
var errClosed = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "redisstore: store is closed"}

// mapErr converts a rueidis error to a taskq error (redisconn.MapErr).
func mapErr(ctx context.Context, op string, err error) error {
	return redisconn.MapErr(ctx, "redisstore", op, err)
}

// invalid returns an invalid_input error.
func invalid(format string, args ...any) error {
	return &taskq.Error{Code: taskq.CodeInvalidInput, Message: "redisstore: " + fmt.Sprintf(format, args...)}
}

func notFound(what, id string) error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: "redisstore: " + what + " " + id + " not found"}
}

func conflict(id, status string) error {
	return &taskq.Error{Code: taskq.CodeConflict, Message: "redisstore: task " + id + " is " + status}
}

func duplicate(id string) error {
	return taskq.NewDuplicateError("redisstore: task "+id+" exists (same id or idempotency key)", nil)
}

// corrupt reports a record this package cannot decode.
func corrupt(id string, err error) error {
	return &taskq.Error{Code: taskq.CodeInternal, Message: "redisstore: cannot decode task record " + id, Err: err}
}
