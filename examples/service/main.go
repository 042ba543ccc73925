// Command service is a small Redis + PostgreSQL service embedding taskq:
// POST /signup enqueues a typed task (a welcome mail) and answers at once; a
// worker in the same process runs it. SIGINT or SIGTERM stops the HTTP
// server, then the worker, each with a fresh timeout.
//
//	TASKQ_REDIS_URL=redis://127.0.0.1:6379 \
//	TASKQ_DATABASE_URL=postgres://taskq@127.0.0.1:5432/taskq \
//	go run ./examples/service
//	curl -s -X POST localhost:8090/signup -H 'Content-Type: application/json' -d '{"email":"ada@example.com"}'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// WelcomeMail is the typed task.
type WelcomeMail struct {
	Email string `json:"email"`
}

// Kind implements taskq.Args.
func (WelcomeMail) Kind() string { return "mail.welcome" }

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", envOr("ADDR", "127.0.0.1:8090"))
	if err != nil {
		log.Error("listen", "error", err)
		os.Exit(1)
	}
	if err := run(ctx, log, ln, os.Getenv("TASKQ_DATABASE_URL"), os.Getenv("TASKQ_REDIS_URL")); err != nil {
		log.Error("service stopped", "error", err)
		os.Exit(1)
	}
}

// run serves on ln until ctx ends, then shuts down gracefully.
func run(ctx context.Context, log *slog.Logger, ln net.Listener, databaseURL, redisURL string) error {
	store, err := postgres.Open(ctx, databaseURL, postgres.Config{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	q, err := redisqueue.NewFromURL(redisURL, redisqueue.Config{Logger: log})
	if err != nil {
		return err
	}
	defer q.Close()

	client, err := taskq.NewClient(store, q, taskq.ClientConfig{Logger: log})
	if err != nil {
		return err
	}
	w, err := worker.New(store, q, worker.Config{Logger: log})
	if err != nil {
		return err
	}
	worker.HandleArgs(w, func(ctx context.Context, j *taskq.Job[WelcomeMail]) (any, error) {
		log.InfoContext(ctx, "sending welcome mail", "to", j.Args.Email, "attempt", j.Attempts)
		return map[string]any{"sent_to": j.Args.Email}, nil
	})
	if err := w.Start(ctx); err != nil {
		return err
	}

	srv := &http.Server{Handler: routes(client), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	// The signal context is done: shut down with fresh timeouts. First stop
	// taking requests, then let running tasks finish (after 20s they are
	// cancelled and given back to the queue without using a retry).
	httpCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(httpCtx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	workCtx, cancelWork := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelWork()
	if err := w.Stop(workCtx); err != nil {
		log.Warn("worker stop: running tasks were given back", "error", err)
	}
	return nil
}

// routes serves POST /signup: it enqueues a WelcomeMail and answers 202 with
// the task id, which GET /tasks/{id} shows.
func routes(client *taskq.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, r *http.Request) {
		var req WelcomeMail
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.Email == "" {
			http.Error(w, `{"error":"body must be {"email": "..."}"}`, http.StatusBadRequest)
			return
		}
		t, err := client.EnqueueArgs(r.Context(), req, taskq.WithMaxRetries(5))
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, taskq.ErrUnavailable) {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, `{"error":"cannot enqueue"}`, status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"task_id": t.ID})
	})
	mux.HandleFunc("GET /tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		t, err := client.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(t)
	})
	return mux
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
