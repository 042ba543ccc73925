// Command taskq-load drives the HTTP API of a taskq server with POST
// /api/tasks and GET /api/tasks/{id}, half each, over keep-alive
// connections, and prints requests per second, p50/p99 latency and
// errors. Point it only at a server you run:
//
//	taskq-load -url http://127.0.0.1:8080 -key "$TASKQ_ADMIN_KEY" -conns 64 -duration 30s
//
// The key may also come from TASKQ_API_KEY. The rate limits of the server
// apply: raise TASKQ_RATE_LIMIT and TASKQ_RATE_BURST on the server for a
// load test. Exit code 1 when any request failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/taskq/taskq/internal/loadgen"
)

func main() {
	var cfg loadgen.Config
	flag.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8080", "server base URL")
	flag.StringVar(&cfg.APIKey, "key", os.Getenv("TASKQ_API_KEY"), "API key (default $TASKQ_API_KEY)")
	flag.IntVar(&cfg.Conns, "conns", 64, "keep-alive connections")
	flag.DurationVar(&cfg.Duration, "duration", 30*time.Second, "run length")
	flag.StringVar(&cfg.Payload, "payload", loadgen.DefaultPayload, "task metadata (JSON)")
	flag.StringVar(&cfg.TaskType, "type", "noop", "task type")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := loadgen.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskq-load:", err)
		os.Exit(2)
	}
	fmt.Println(r)
	if r.Errors > 0 {
		fmt.Println("first error:", r.FirstError)
		os.Exit(1)
	}
}
