// Command taskq-server runs the taskq reference HTTP server. With no
// configuration it serves on 127.0.0.1:8080 with the in-memory queue and
// storage; --database-url alone (TASKQ_DATABASE_URL) runs it on PostgreSQL
// alone, --redis-url alone (TASKQ_REDIS_URL) on Redis alone, and both on
// Redis dispatch with PostgreSQL records. Run it with -help for every
// setting. SIGINT and SIGTERM shut it down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
