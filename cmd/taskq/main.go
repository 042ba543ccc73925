// Command taskq operates a taskq server over its HTTP API: tasks, the
// dead letter queue, API keys, queues and schedules. Run "taskq help" for
// the commands, the configuration and the exit codes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// Exit codes, documented in "taskq help" and docs/cli.md.
const (
	exitOK          = 0 // success
	exitError       = 1 // any other failure: network, 5xx, 429, a malformed answer
	exitUsage       = 2 // bad command line or configuration
	exitNotFound    = 3 // 404: no such task, DLQ entry or key
	exitAuth        = 4 // 401 or 403: missing, wrong or revoked key; not an admin
	exitConflict    = 5 // 409: already terminal, DLQ retry limit, Idempotency-Key reused
	exitInvalid     = 6 // 400, 413, 422: the server refused the values given
	exitTimeout     = 7 // tasks wait: the task was not terminal in time
	exitUnsupported = 8 // the server does not have this endpoint
)

// run is the whole program: args without the program name, output to
// stdout, diagnostics to stderr, environment through getenv. It returns
// the exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	g := &globals{}
	top := newFlagSet("taskq")
	g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(stdout)
			return exitOK
		}
		return usageError(stderr, err)
	}
	g.noteSet(top)
	rest := top.Args()
	if len(rest) == 0 {
		writeHelp(stderr)
		return exitUsage
	}
	cmd, rest := rest[0], rest[1:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		writeHelp(stdout)
		return exitOK
	}
	group, ok := commands[cmd]
	if !ok {
		return usageError(stderr, errorf("unknown command %q (see taskq help)", cmd))
	}
	if len(rest) == 0 {
		return usageError(stderr, errorf("%s needs a subcommand: %s", cmd, group.names()))
	}
	sub, ok := group[rest[0]]
	if !ok {
		return usageError(stderr, errorf("unknown command %q %q: %s takes %s", cmd, rest[0], cmd, group.names()))
	}
	c := &cmdContext{name: cmd + " " + rest[0], stdout: stdout, stderr: stderr, getenv: getenv, g: *g}
	err := sub(c, rest[1:])
	code := exitCode(err)
	if err != nil && err.Error() != "" {
		fmt.Fprintf(stderr, "taskq %s: %s\n", c.name, err)
	}
	return code
}
