package rediskeys

import (
	"context"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisconn"
)

// mapErr converts a rueidis error to a taskq error (redisconn.MapErr).
func mapErr(ctx context.Context, op string, err error) error {
	return redisconn.MapErr(ctx, "rediskeys", op, err)
}

func notFound() error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: "api key not found"}
}

// corrupt reports a record this package cannot decode.
func corrupt(id string, err error) error {
	return &taskq.Error{Code: taskq.CodeInternal, Message: "rediskeys: cannot decode api key " + id, Err: err}
}
