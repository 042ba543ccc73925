// Command node is one process of the reliability suite: the reference
// server, configured from the environment exactly like taskq-server, with
// one more task type, "work", that appends a line to the file named by
// TASKQ_REL_LOG each time it starts a task (one write(2) per line, so a
// line written before a SIGKILL survives it). The suite counts repeated
// executions from these files.
//
// Extra settings: TASKQ_REL_LOG (required), TASKQ_REL_LEASE_TTL,
// TASKQ_REL_HEARTBEAT and TASKQ_REL_RECONCILE (the worker's lease,
// heartbeat, and reconciler period and age, Go durations).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/server"
	"github.com/taskq/taskq/server/tasktypes"
	"github.com/taskq/taskq/worker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := server.LoadConfig(nil, os.Getenv)
	if err != nil {
		return err
	}
	log, err := server.NewLogger(os.Stderr, "json", cfg.LogLevel)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(os.Getenv("TASKQ_REL_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("TASKQ_REL_LOG: %w", err)
	}
	defer f.Close()
	ttl, err := envDuration("TASKQ_REL_LEASE_TTL")
	if err != nil {
		return err
	}
	hb, err := envDuration("TASKQ_REL_HEARTBEAT")
	if err != nil {
		return err
	}
	reconcile, err := envDuration("TASKQ_REL_RECONCILE")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	deps, err := server.OpenBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	deps.Logger = log
	deps.TaskTypes = []tasktypes.Type{{Name: "work", Handler: recorder(f)}}
	deps.Worker = func(c *worker.Config) {
		if ttl > 0 {
			c.LeaseTTL = ttl
		}
		if hb > 0 {
			c.HeartbeatInterval = hb
		}
		if reconcile > 0 {
			c.ReconcileInterval, c.ReconcileAfter = reconcile, reconcile
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	err = server.Serve(ctx, cfg, deps, ln)
	if errors.Is(err, server.ErrShutdownTimeout) {
		return nil
	}
	return err
}

// recorder runs "work" tasks: it records the start ("<id> <attempt>
// <pid>\n"), then sleeps metadata.ms milliseconds unless ctx ends first.
func recorder(f *os.File) taskq.Handler {
	pid := os.Getpid()
	return taskq.HandlerFunc(func(ctx context.Context, t *taskq.Task) (any, error) {
		if _, err := fmt.Fprintf(f, "%s %d %d\n", t.ID, t.Attempts, pid); err != nil {
			return nil, err
		}
		if ms, ok := t.Metadata["ms"].(json.Number); ok {
			n, _ := ms.Int64()
			select {
			case <-time.After(time.Duration(n) * time.Millisecond):
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
		}
		return nil, nil
	})
}

func envDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
