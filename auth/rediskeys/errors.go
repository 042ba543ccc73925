package rediskeys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// mapErr converts a rueidis error to a taskq error: the caller's own
// cancellation stays a context error; answers that mean "not now" and
// connection failures become taskq.ErrUnavailable; any other Redis error
// reply is an internal error.
func mapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("rediskeys: %s: %w", op, err)
	}
	if re, ok := rueidis.IsRedisErr(err); ok && !transientReply(re) {
		return &taskq.Error{Code: taskq.CodeInternal, Message: "rediskeys: " + op + ": unexpected redis reply", Err: err}
	}
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "rediskeys: " + op + ": redis unavailable", Retryable: true, Err: err}
}

// transientReply reports whether a Redis error reply means the server may
// accept the same command a little later.
func transientReply(re *rueidis.RedisError) bool {
	if re.IsLoading() || re.IsTryAgain() || re.IsClusterDown() {
		return true
	}
	if _, ok := re.IsRedirect(); ok {
		return true
	}
	msg := re.Error()
	for _, p := range []string{"BUSY ", "MASTERDOWN", "READONLY", "OOM", "NOREPLICAS", "NOTREADY"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func notFound() error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: "api key not found"}
}

// corrupt reports a record this package cannot decode.
func corrupt(id string, err error) error {
	return &taskq.Error{Code: taskq.CodeInternal, Message: "rediskeys: cannot decode api key " + id, Err: err}
}
