// Command minimal is the shortest complete taskq program on Redis and
// PostgreSQL: it enqueues one typed task, runs it, and stops gracefully.
//
//	TASKQ_REDIS_URL=redis://127.0.0.1:6379 \
//	TASKQ_DATABASE_URL=postgres://taskq@127.0.0.1:5432/taskq go run ./examples/minimal
package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

type Hello struct {
	Name string `json:"name"`
}

func (Hello) Kind() string { return "hello" }

func main() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("TASKQ_DATABASE_URL"), postgres.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	q, err := redisqueue.NewFromURL(os.Getenv("TASKQ_REDIS_URL"), redisqueue.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	done := make(chan struct{})
	w, _ := worker.New(store, q, worker.Config{})
	worker.HandleArgs(w, func(ctx context.Context, j *taskq.Job[Hello]) (any, error) {
		log.Printf("hello, %s", j.Args.Name)
		close(done)
		return nil, nil
	})
	if err := w.Start(ctx); err != nil {
		log.Fatal(err)
	}
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{})
	if _, err := client.EnqueueArgs(ctx, Hello{Name: "world"}); err != nil {
		log.Fatal(err)
	}
	<-done
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = w.Stop(stop)
}
