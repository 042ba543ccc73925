package postgres_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
)

// Tasks committed while no relay runs (the process that would have pushed
// them stopped) wait in the outbox; the next relay pushes them when it
// starts: ready ones ready, scheduled ones scheduled. Rows of tasks
// finished or deleted meanwhile are dropped without a push.
func TestRelayPushesWhatWasLeftWhenItStarts(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	f := newTxFixture(t, postgres.Config{}, rec)
	ctx := t.Context()

	_, ready := f.placeOrder(t, true)
	_, later := f.placeOrder(t, true, taskq.WithDelay(time.Hour))
	_, cancelled := f.placeOrder(t, true)
	_, deleted := f.placeOrder(t, true)
	_, err := f.client.Cancel(ctx, cancelled.ID)
	require.NoError(t, err)
	require.NoError(t, f.store.DeleteTask(ctx, deleted.ID))
	require.Equal(t, 4, f.outboxRows(t))
	require.Empty(t, rec.pushed, "nothing pushed without a relay")

	runRelay(t, f.store.Relay(rec, postgres.RelayConfig{}))
	got := []string{rec.next(t, 10*time.Second), rec.next(t, 10*time.Second)}
	require.ElementsMatch(t, []string{ready.ID, later.ID}, got)
	st, err := rec.Stats(ctx, "txq")
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Ready[taskq.PriorityMedium])
	require.Equal(t, int64(1), st.Scheduled, "the delayed task is scheduled, not ready")
	waitUntil(t, 10*time.Second, "outbox drained", func() bool { return f.outboxRows(t) == 0 })
	require.Empty(t, rec.pushed, "finished and deleted tasks are not pushed")
}

// A push that fails leaves the rows; the relay tries again and they are
// pushed once the queue answers.
func TestRelayRetriesAFailedPush(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	flaky := &failingQueue{pushRecorder: rec, failures: 2}
	f := newTxFixture(t, postgres.Config{}, rec)
	_, tk := f.placeOrder(t, true)
	runRelay(t, f.store.Relay(flaky, postgres.RelayConfig{}))
	require.Equal(t, tk.ID, rec.next(t, 10*time.Second))
	require.Equal(t, int64(3), flaky.calls.Load(), "pushed after two failed pushes")
	waitUntil(t, 10*time.Second, "outbox drained", func() bool { return f.outboxRows(t) == 0 })
}

type failingQueue struct {
	*pushRecorder
	failures int64
	calls    atomic.Int64
}

func (q *failingQueue) Enqueue(ctx context.Context, name string, entries ...taskq.QueueEntry) error {
	if q.calls.Add(1) <= q.failures {
		return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "queue down (test)"}
	}
	return q.pushRecorder.Enqueue(ctx, name, entries...)
}

// relayChildEnv names the database of the relay run by
// TestRelayChildProcess in a child process.
const relayChildEnv = "TASKQ_TEST_RELAY_CHILD_DB"

// TestRelayChildProcess is not a test: run by
// TestRelayKilledBetweenCommitAndPush in a child process, it runs a relay
// whose queue announces the push on stdout and then hangs, until the
// parent kills the process.
func TestRelayChildProcess(t *testing.T) {
	url := os.Getenv(relayChildEnv)
	if url == "" {
		return
	}
	s, err := postgres.Open(context.Background(), url, postgres.Config{SkipMigrations: true})
	if err != nil {
		fmt.Println("child: open:", err)
		os.Exit(2)
	}
	_ = s.Relay(hangingQueue{}, postgres.RelayConfig{}).Run(context.Background())
}

// hangingQueue announces a push and never completes it.
type hangingQueue struct{ taskq.Queue }

func (hangingQueue) Enqueue(_ context.Context, _ string, entries ...taskq.QueueEntry) error {
	for _, e := range entries {
		fmt.Println("pushing", e.ID)
	}
	select {}
}

// A process killed (SIGKILL) between the commit of a task and its push
// loses nothing: the killed relay had taken the outbox row in a
// transaction that dies with its connection, and the next relay pushes
// the task.
func TestRelayKilledBetweenCommitAndPush(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	f := newTxFixture(t, postgres.Config{}, rec)
	_, tk := f.placeOrder(t, true)

	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), relayChildEnv+"="+f.store.Pool().Config().ConnString())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	announced := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "pushing "); ok {
				announced <- id
				return
			}
		}
		close(announced)
	}()
	select {
	case id, ok := <-announced:
		require.True(t, ok, "the child exited without pushing")
		require.Equal(t, tk.ID, id, "the child took the committed task")
	case <-time.After(30 * time.Second):
		t.Fatal("the child relay did not reach the push within 30s")
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no cleanup, no rollback sent
	killed = true
	err = cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "killed: %v", err)
	require.Equal(t, 1, f.outboxRows(t), "the row outlives the killed relay")

	runRelay(t, f.store.Relay(rec, postgres.RelayConfig{SweepInterval: 50 * time.Millisecond}))
	require.Equal(t, tk.ID, rec.next(t, 30*time.Second), "the next relay pushes the task")
	waitUntil(t, 10*time.Second, "outbox drained", func() bool { return f.outboxRows(t) == 0 })
}

// waitUntil polls cond (a database read: there is no event to wait on)
// until it holds, failing after d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// One relay per schema listens (the holder of the relay lock); another
// one waits, sweeping, and takes over when the first stops.
func TestOneRelayListensAndAnotherTakesOver(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	f := newTxFixture(t, postgres.Config{}, rec)
	ctx := t.Context()

	// A alone, sweeping hourly: only its listening can push promptly.
	ctxA, stopA := context.WithCancel(ctx)
	a := f.store.Relay(rec, postgres.RelayConfig{SweepInterval: time.Hour})
	doneA := make(chan error, 1)
	go func() { doneA <- a.Run(ctxA) }()
	t.Cleanup(func() { stopA(); <-doneA })
	waitUntil(t, 10*time.Second, "relay A leads", a.Leading)
	_, first := f.placeOrder(t, true)
	require.Equal(t, first.ID, rec.next(t, 10*time.Second))

	b := f.store.Relay(rec, postgres.RelayConfig{SweepInterval: 100 * time.Millisecond})
	runRelay(t, b)
	waitUntil(t, 10*time.Second, "relay B tried the lock", func() bool {
		var n int
		require.NoError(t, f.store.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock%'`).Scan(&n))
		return n == 1
	})
	require.True(t, a.Leading())
	require.False(t, b.Leading(), "the lock is A's")
	var locks int
	require.NoError(t, f.store.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&locks))
	require.Equal(t, 1, locks)

	stopA()
	require.NoError(t, <-doneA)
	doneA <- nil // for the cleanup
	require.False(t, a.Leading())
	waitUntil(t, 10*time.Second, "relay B takes over", b.Leading)
	_, second := f.placeOrder(t, true)
	require.Equal(t, second.ID, rec.next(t, 10*time.Second))
}
