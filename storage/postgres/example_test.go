package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage/postgres"
)

// SendReceipt is the typed input of the examples' task.
type SendReceipt struct {
	OrderID string `json:"order_id"`
}

// Kind is the task type.
func (SendReceipt) Kind() string { return "receipt.send" }

// A task enqueued inside the transaction that places an order exists if
// and only if the order does. On PostgreSQL alone (Config.Dispatch) the
// transaction also writes the task's queue entry: the task is leasable at
// commit.
func ExampleTxEnqueuer() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, exampleDatabaseURL(), postgres.Config{Dispatch: true})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	q := store.Queue(postgres.QueueConfig{})
	defer q.Close()
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	if err != nil {
		panic(err)
	}
	enq, err := postgres.NewTxEnqueuer(store, client)
	if err != nil {
		panic(err)
	}
	if _, err := store.Pool().Exec(ctx, `CREATE TABLE orders (id text PRIMARY KEY)`); err != nil {
		panic(err)
	}

	placeOrder := func(id string, fail bool) (*taskq.Task, error) {
		var task *taskq.Task
		err := pgx.BeginFunc(ctx, store.Pool(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO orders (id) VALUES ($1)`, id); err != nil {
				return err
			}
			var err error
			task, err = enq.EnqueueArgsTx(ctx, tx, SendReceipt{OrderID: id})
			if err != nil {
				return err
			}
			if fail {
				return errors.New("payment declined") // rolls back order and task
			}
			return nil
		})
		return task, err
	}

	declined, err := placeOrder("o-1", true)
	fmt.Println("o-1:", err)
	_, err = store.GetTask(ctx, declined.ID)
	fmt.Println("o-1 task exists:", !errors.Is(err, taskq.ErrNotFound))

	placed, err := placeOrder("o-2", false)
	if err != nil {
		panic(err)
	}
	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 10, TTL: time.Minute})
	if err != nil {
		panic(err)
	}
	fmt.Println("leasable:", len(leases), leases[0].ID == placed.ID, placed.Type)
	// Output:
	// o-1: payment declined
	// o-1 task exists: false
	// leasable: 1 true receipt.send
}

// With a queue elsewhere (Redis, or here in memory) the transaction writes
// an outbox row; a Relay pushes the task once the transaction commits.
// Workers run one on their own; Flush pushes what is there now.
func ExampleStore_Relay() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, exampleDatabaseURL(), postgres.Config{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	mem := queue.NewMemory()
	client, err := taskq.NewClient(store, mem, taskq.ClientConfig{})
	if err != nil {
		panic(err)
	}
	enq, err := postgres.NewTxEnqueuer(store, client)
	if err != nil {
		panic(err)
	}
	err = pgx.BeginFunc(ctx, store.Pool(), func(tx pgx.Tx) error {
		_, err := enq.EnqueueTx(ctx, tx, "report.build", map[string]any{"month": "2026-11"})
		return err
	})
	if err != nil {
		panic(err)
	}
	st, _ := mem.Stats(ctx, taskq.DefaultQueue)
	fmt.Println("queued before the relay:", st.Total())

	relay := store.Relay(mem, postgres.RelayConfig{})
	n, err := relay.Flush(ctx) // Run(ctx) does this at every commit
	if err != nil {
		panic(err)
	}
	st, _ = mem.Stats(ctx, taskq.DefaultQueue)
	fmt.Println("pushed:", n, "queued:", st.Total())
	// Output:
	// queued before the relay: 0
	// pushed: 1 queued: 1
}

// exampleDatabaseURL returns a fresh database on the package's shared test
// server (examples get no *testing.T; a failure panics).
func exampleDatabaseURL() string {
	url, err := testenv.SharedPostgres(exampleTB{}).CreateDatabase("")
	if err != nil {
		panic(err)
	}
	return url
}

// exampleTB is the testing.TB of examples: failing or skipping panics.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                      {}
func (exampleTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (exampleTB) Skip(args ...any)             { panic(fmt.Sprint(args...)) }
