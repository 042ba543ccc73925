package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/taskq/taskq"
)

// PostgreSQL error codes (SQLSTATE) that the store tells apart.
const (
	sqlUniqueViolation     = "23505"
	sqlCheckViolation      = "23514"
	sqlNotNullViolation    = "23502"
	sqlSerializationFail   = "40001"
	sqlDeadlockDetected    = "40P01"
	sqlLockNotAvailable    = "55P03"
	sqlQueryCanceled       = "57014"
	sqlAdminShutdown       = "57P01"
	sqlCrashShutdown       = "57P02"
	sqlCannotConnectNow    = "57P03"
	sqlDatabaseDropped     = "57P04"
	sqlReadOnlyTransaction = "25006"
)

// mapError converts a pgx error into a *taskq.Error whose message is the
// operation only: the driver error is kept as the wrapped cause and never
// put in the message, so SQL text and server messages do not travel up.
// op names the operation ("get task").
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var te *taskq.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &taskq.Error{Code: taskq.CodeNotFound, Message: op + ": not found", Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == sqlUniqueViolation:
			return &taskq.Error{Code: taskq.CodeConflict, Message: op + ": already exists", Err: err}
		case code == sqlCheckViolation || code == sqlNotNullViolation:
			return &taskq.Error{Code: taskq.CodeValidation, Message: op + ": value out of range", Err: err}
		case transientCode(code):
			return unavailable(op, err)
		}
		return &taskq.Error{Code: taskq.CodeInternal, Message: op + ": database error", Retryable: true, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: op + ": cancelled", Retryable: true, Err: err}
	}
	var scanErr pgx.ScanArgError
	if errors.As(err, &scanErr) {
		return &taskq.Error{Code: taskq.CodeInternal, Message: op + ": cannot decode record", Err: err}
	}
	// What is left are failures to reach the server or to finish the
	// exchange: refused or reset connections, closed connections or pool,
	// timeouts and deadlines. The outcome of a write may be unknown, so the
	// caller retries with its preconditions.
	return unavailable(op, err)
}

func unavailable(op string, err error) error {
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: op + ": database unavailable", Retryable: true, Err: err}
}

// transientCode reports whether a server error class means "try again":
// connection exceptions, shutdowns, resource exhaustion, serialization
// failures and deadlocks, lock and statement timeouts, a read-only standby.
func transientCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"):
		return true
	}
	switch code {
	case sqlSerializationFail, sqlDeadlockDetected, sqlLockNotAvailable, sqlQueryCanceled,
		sqlAdminShutdown, sqlCrashShutdown, sqlCannotConnectNow, sqlDatabaseDropped, sqlReadOnlyTransaction:
		return true
	}
	return false
}

// rolledBack reports whether err is a server error raised by a statement
// while the session is fine: the transaction was rolled back as a whole,
// so its statements may run again. Connection-level errors (connection
// exceptions, shutdowns, resource exhaustion) are not: the outcome of the
// commit may be unknown and a retry would fail the same way.
func rolledBack(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch code := pe.Code; {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"),
		code == sqlAdminShutdown, code == sqlCrashShutdown, code == sqlCannotConnectNow, code == sqlDatabaseDropped:
		return false
	}
	return true
}

func notFound(op string) error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: op + ": not found"}
}

func conflict(op, msg string) error {
	return &taskq.Error{Code: taskq.CodeConflict, Message: op + ": " + msg}
}

func invalidInput(op, msg string) error {
	return &taskq.Error{Code: taskq.CodeInvalidInput, Message: op + ": " + msg}
}
