package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// errClosed is returned by every method after Close.
var errClosed = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "redisstore: store is closed"}

// errNoAddress is returned by NewFromURL without a Redis address.
var errNoAddress = &taskq.Error{Code: taskq.CodeInvalidInput,
	Message: "redisstore: no Redis address: set the Redis URL (TASKQ_REDIS_URL for taskq-server), e.g. redis://127.0.0.1:6379"}

// mapErr converts a rueidis error to a taskq error: the caller's own
// cancellation stays a context error (wrapped with the operation); Redis
// answers that mean "not now" (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN,
// MASTERDOWN, READONLY, OOM, …) and every connection failure become
// taskq.ErrUnavailable (retryable); any other Redis error reply is an
// internal error. The driver's error is kept only as the wrapped cause.
func mapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if re, ok := rueidis.IsRedisErr(err); ok && !transientReply(re) {
		return &taskq.Error{Code: taskq.CodeInternal, Message: "redisstore: " + op + ": unexpected redis reply", Err: err}
	}
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "redisstore: " + op + ": redis unavailable", Retryable: true, Err: err}
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
