// Package reliability holds the reliability suite of taskq: real OS
// processes of the reference server (see internal/node) drain tasks on
// real Redis and PostgreSQL servers while a controller kills workers,
// restarts backends and cuts connections, then every task record is
// checked. It has tests only.
//
// The short form runs with the rest of the tests (go test ./...). The full
// form, with 20,000 tasks per deployment, runs with
//
//	make reliability
//
// which sets TASKQ_RELIABILITY=full. Each test logs a table of what it
// tried and what survived; TASKQ_RELIABILITY_REPORT=<file> appends the
// tables to a file as well.
package reliability
