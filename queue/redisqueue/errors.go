package redisqueue

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisconn"
)

// errClosed is returned by every method after Close.
var errClosed = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "redisqueue: queue is closed"}

// mapErr converts a rueidis error to a taskq error (redisconn.MapErr).
func mapErr(ctx context.Context, op string, err error) error {
	return redisconn.MapErr(ctx, "redisqueue", op, err)
}

// invalid returns an invalid_input error.
func invalid(format string, args ...any) error {
	return &taskq.Error{Code: taskq.CodeInvalidInput, Message: "redisqueue: " + fmt.Sprintf(format, args...)}
}
