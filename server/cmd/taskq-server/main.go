// Command taskq-server runs the taskq reference HTTP server. With no
// configuration it serves on 127.0.0.1:8080 with the in-memory queue and
// storage; --database-url alone (TASKQ_DATABASE_URL) runs it on PostgreSQL
// alone, --redis-url alone (TASKQ_REDIS_URL) on Redis alone, and both on
// Redis dispatch with PostgreSQL records. Run it with -help for every
// setting. SIGINT and SIGTERM shut it down gracefully.
//
// "taskq-server repair [flags]" runs no server: it opens the configured
// storage and queue, fixes or deletes the task records the server cannot
// encode as JSON (see server.Repair), prints what it did as JSON and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskq/taskq/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	repair := len(args) > 0 && args[0] == "repair"
	if repair {
		args = args[1:]
	}
	cfg, err := server.LoadConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		server.Usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "taskq-server: configuration error:")
		fmt.Fprintln(stderr, err)
		return 2
	}
	log, err := server.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(stderr, "taskq-server:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if repair {
		return runRepair(ctx, cfg, log, stdout)
	}
	err = server.Run(ctx, cfg, log)
	switch {
	case errors.Is(err, server.ErrShutdownTimeout):
		// Handlers past the timeout were cancelled and their tasks given
		// back: nothing is lost, so this is still a clean stop.
		log.Warn("shutdown timed out; unfinished tasks were given back to the queue", "error", err)
	case err != nil:
		log.Error("taskq-server stopped with an error", "error", err)
		return 1
	}
	return 0
}

// runRepair is "taskq-server repair": server.Repair on the configured
// backends, its result printed as JSON on stdout.
func runRepair(ctx context.Context, cfg server.Config, log *slog.Logger, stdout io.Writer) int {
	deps, err := server.OpenBackends(ctx, cfg, log)
	if err != nil {
		log.Error("taskq-server repair: backends", "error", err)
		return 1
	}
	defer func() { _ = deps.Close() }()
	res, err := server.Repair(ctx, deps.Store, deps.Queue, log)
	out, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(out))
	if err != nil {
		log.Error("taskq-server repair stopped with an error", "error", err)
		return 1
	}
	return 0
}
