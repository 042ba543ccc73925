package redisstore_test

import (
	"context"
	"log"
	"os"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/redisstore"
)

// Redis alone: the records in the store, the queue on the store's client.
// On a single Redis server the store writes each pending task's queue
// entry in the script that stores its record, so Enqueue is one round
// trip and the record and the entry exist together or not at all.
func ExampleStore_Queue() {
	store, err := redisstore.NewFromURL(os.Getenv("TASKQ_REDIS_URL"), redisstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	q, err := store.Queue(redisqueue.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Enqueue(context.Background(), "email.send", map[string]any{"to": "a@example.com"}); err != nil {
		log.Fatal(err)
	}
}
