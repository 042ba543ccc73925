package reliability

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestKilledBeforePush: on Redis + PostgreSQL a create returns once its
// record is committed and its id reaches Redis from the background. A node
// cut from Redis creates tasks (201: committed, not queued), and is
// SIGKILLed while its pushes are still being tried. Every task it
// acknowledged is then run by another node: its reconciler finds the
// records no queue holds.
func TestKilledBeforePush(t *testing.T) {
	const n = 20
	d := deployments[0]
	require.Equal(t, "redis+postgres", d.name)
	b := startBackends(t, d)
	_, store := b.client(t)
	c := newCluster(t, b, map[string]string{"TASKQ_REL_RECONCILE": "1s"})
	p := startProxy(t, b.redis.Addr())
	a := c.startWith(map[string]string{"TASKQ_REDIS_URL": "redis://" + p.Addr() + "/0"})
	p.cut()

	hc := &http.Client{Timeout: 10 * time.Second}
	ids := make([]string, 0, n)
	for range n {
		status, body, err := createVia(hc, a, `{"type":"work"}`)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, status, "stored in PostgreSQL, Redis cut: %s", body)
		var tk taskq.Task
		require.NoError(t, json.Unmarshal(body, &tk))
		ids = append(ids, tk.ID)
	}
	c.kill(a) // its pushes are still being tried
	killed := time.Now()
	require.Zero(t, len(c.executions()), "nothing ran on the cut node")
	// The kill came before any push: Redis holds none of the tasks.
	q, err := redisqueue.NewFromURL(b.redis.URL(), redisqueue.Config{})
	require.NoError(t, err)
	defer q.Close()
	st, err := q.Stats(t.Context(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "queued before the kill: %+v", st)

	p.heal()
	c.start()
	deadline := time.Now().Add(30 * time.Second) // the default reconcile interval (a minute) would not make it
	for {
		got, _, missing := statuses(t, store, ids)
		require.Zero(t, missing)
		if got[taskq.StatusCompleted] == n {
			break
		}
		require.True(t, time.Now().Before(deadline), "completed %d of %d acknowledged tasks", got[taskq.StatusCompleted], n)
		time.Sleep(200 * time.Millisecond)
	}
	execs := c.executions()
	for _, id := range ids {
		require.Equal(t, 1, execs[id], "task %s ran once", id)
	}
	record(t, drainColumns, row{scenario: "SIGKILL after 20 creates, before their push to Redis", deployment: d.name, cells: map[string]string{
		"tasks": itoa(n), "kills": "1", "outage": "node cut from Redis", "completed": itoa(n), "lost": "0",
		"executions": itoa(n), "repeated": "0", "took": time.Since(killed).Round(100*time.Millisecond).String() + " after the kill",
	}})
}
