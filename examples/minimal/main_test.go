package main

import (
	"os"
	"testing"
	"time"

	"github.com/taskq/taskq/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestMinimal runs the program against a real redis-server and PostgreSQL:
// it must enqueue, run and stop on its own.
func TestMinimal(t *testing.T) {
	pg := testenv.SharedPostgres(t)
	t.Setenv("TASKQ_DATABASE_URL", pg.NewDatabase(t))
	t.Setenv("TASKQ_REDIS_URL", testenv.StartRedis(t).URL())
	done := make(chan struct{})
	go func() { main(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not finish within 30s")
	}
	_ = os.Stdout.Sync()
}
