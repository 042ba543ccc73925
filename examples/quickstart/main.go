// Command quickstart is the README's quick start as a program: a typed
// task, a worker, an enqueue, and a graceful shutdown on SIGINT or SIGTERM.
// The README block is this file's body from the type declaration on; a test
// keeps the two the same.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

type SendEmail struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

func (SendEmail) Kind() string { return "email.send" }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, q := storage.NewMemory(), queue.NewMemory() // or postgres.Open / redisqueue.NewFromURL
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	w, err := worker.New(store, q, worker.Config{Concurrency: 32})
	if err != nil {
		log.Fatal(err)
	}
	worker.HandleArgs(w, func(ctx context.Context, job *taskq.Job[SendEmail]) (any, error) {
		return nil, sendMail(ctx, job.Args.To, job.Args.Subject)
	})
	if err := w.Start(ctx); err != nil {
		log.Fatal(err)
	}

	_, err = client.EnqueueArgs(ctx, SendEmail{To: "a@example.com", Subject: "hi"},
		taskq.WithPriority(taskq.PriorityHigh), taskq.WithMaxRetries(5), taskq.WithTimeout(time.Minute))
	if err != nil {
		log.Print(err)
	}

	<-ctx.Done() // SIGINT or SIGTERM
	// Stop with a fresh context: the signal context is already done, and
	// stopping with it would cancel every running handler at once.
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Stop(shutdown); err != nil {
		// the 30s ran out: running handlers were cancelled and their tasks
		// given back to the queue without using a retry
		log.Print(err)
	}
}

// sendMail stands for the real work.
func sendMail(ctx context.Context, to, subject string) error {
	fmt.Printf("mail to %s: %s\n", to, subject)
	return ctx.Err()
}
