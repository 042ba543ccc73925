package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"

	"github.com/taskq/taskq"
)

// MapErr converts a rueidis error of operation op to a taskq error whose
// message starts with pkg: the caller's own cancellation stays a context
// error (wrapped with the operation); Redis answers that mean "not now"
// (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, OOM, …) and
// every connection failure become taskq.ErrUnavailable (retryable); any
// other Redis error reply is an internal error. The driver's error is kept
// only as the wrapped cause.
func MapErr(ctx context.Context, pkg, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("%s: %s: %w", pkg, op, err)
	}
	if re, ok := rueidis.IsRedisErr(err); ok && !TransientReply(re) {
		return &taskq.Error{Code: taskq.CodeInternal, Message: pkg + ": " + op + ": unexpected redis reply", Err: err}
	}
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: pkg + ": " + op + ": redis unavailable", Retryable: true, Err: err}
}

// TransientReply reports whether a Redis error reply means the server may
// accept the same command a little later.
func TransientReply(re *rueidis.RedisError) bool {
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

// ErrNoAddress is the error of Open without a Redis address, prefixed
// with pkg.
func ErrNoAddress(pkg string) error {
	return &taskq.Error{Code: taskq.CodeInvalidInput,
		Message: pkg + ": no Redis address: set the Redis URL (TASKQ_REDIS_URL for taskq-server), e.g. redis://127.0.0.1:6379"}
}
