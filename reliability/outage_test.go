package reliability

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

const adminKey = "tq_reliabilityreliabilityreliability00000"

// outage is one backend failure injected while tasks drain.
type outage struct {
	name string
	// applies reports whether the outage makes sense on d.
	applies func(d deployment) bool
	// run injects the failure into a running cluster and heals it; it
	// returns what it observed while the failure lasted.
	run func(t *testing.T, c *cluster, b *backends, p *proxy) string
}

var leaseTTL = 4 * time.Second

var outages = []outage{
	{
		name:    "Redis restarted (AOF), down 2 leases",
		applies: func(d deployment) bool { return d.redis },
		run: func(t *testing.T, c *cluster, b *backends, _ *proxy) string {
			b.redis.Stop(t)
			seen := observe(t, c, "/health/redis")
			time.Sleep(2 * leaseTTL)
			b.redis.Start(t)
			return seen
		},
	},
	{
		name:    "PostgreSQL restarted, down 3s",
		applies: func(d deployment) bool { return d.pg },
		run: func(t *testing.T, c *cluster, b *backends, _ *proxy) string {
			require.NoError(t, b.pg.Stop())
			seen := observe(t, c, "/health/db")
			time.Sleep(3 * time.Second)
			require.NoError(t, b.pg.Start())
			return seen
		},
	},
	{
		name:    partitionName,
		applies: func(d deployment) bool { return d.redis },
		run: func(t *testing.T, c *cluster, b *backends, p *proxy) string {
			p.cut()
			time.Sleep(2 * leaseTTL)
			p.heal()
			return "partitioned node kept running"
		},
	},
}

// observe checks, while a backend is down, that a node's health endpoint
// reports it (503) and that a client creating a task gets an answer
// within 10s, not a hang; it returns what it saw.
func observe(t *testing.T, c *cluster, healthPath string) string {
	t.Helper()
	n := c.nodes[0]
	hc := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	health := 0
	for time.Now().Before(deadline) {
		resp, err := hc.Get("http://" + n.addr + healthPath)
		require.NoError(t, err)
		resp.Body.Close()
		if health = resp.StatusCode; health == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(100 * time.Millisecond) // the health ping is cached for 1s
	}
	require.Equal(t, http.StatusServiceUnavailable, health, "%s reports the outage", healthPath)
	start := time.Now()
	status, body, err := createVia(hc, n, `{"type":"noop"}`)
	require.NoError(t, err, "a client gets an answer, not a hang")
	took := time.Since(start)
	switch status {
	case http.StatusCreated: // stored in PostgreSQL; Redis gets it later
	case http.StatusServiceUnavailable:
		require.Contains(t, string(body), `"service_unavailable"`)
	default:
		t.Fatalf("create during the outage: %d %s", status, body)
	}
	return fmt.Sprintf("health 503; create %d in %s", status, took.Round(time.Millisecond))
}

// createVia posts body (a task) to node n's API with the admin key and
// returns the answer's status and body.
func createVia(hc *http.Client, n *node, body string) (int, []byte, error) {
	req, err := http.NewRequest("POST", "http://"+n.addr+"/api/tasks", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", adminKey)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// partitionName names the outage that cuts one node from Redis.
const partitionName = "one worker cut from Redis, 2 leases"

// TestBackendOutages drains tasks on three nodes while a backend restarts
// or one node is partitioned from Redis. Nothing is lost, and the outage
// costs no retries: an attempt counts as failed only when its worker is
// known dead.
func TestBackendOutages(t *testing.T) {
	n := 3000
	if full() {
		n = 20000
	}
	for _, d := range deployments {
		for _, o := range outages {
			if !o.applies(d) {
				continue
			}
			t.Run(d.name+"/"+o.name, func(t *testing.T) {
				b := startBackends(t, d)
				client, store := b.client(t)
				c := newCluster(t, b, map[string]string{
					"TASKQ_REL_LEASE_TTL": leaseTTL.String(), "TASKQ_REL_HEARTBEAT": "200ms",
					"TASKQ_RETRY_BASE_DELAY": "100ms", "TASKQ_RETRY_MAX_DELAY": "1s",
					"TASKQ_REL_RECONCILE": "2s",
				})
				// Tasks longer than a lease run across the failure.
				ids := enqueueWork(t, client, 60, 6000, 6000)
				ids = append(ids, enqueueWork(t, client, n-60, 20, 120)...)
				start := time.Now()
				var p *proxy
				if d.redis {
					p = startProxy(t, b.redis.Addr())
					c.startWith(map[string]string{"TASKQ_REDIS_URL": "redis://" + p.Addr() + "/0"})
				} else {
					c.start()
				}
				c.start()
				c.start()
				deadline := time.Now().Add(2 * time.Minute)
				for len(c.executions()) < n/3 {
					require.True(t, time.Now().Before(deadline), "a third of the tasks did not start")
					time.Sleep(50 * time.Millisecond)
				}
				seen := o.run(t, c, b, p)
				for {
					left, err := unfinished(t.Context(), store)
					if err == nil && !left {
						break
					}
					require.True(t, time.Now().Before(deadline.Add(3*time.Minute)), "tasks still unfinished (last error %v)", err)
					time.Sleep(200 * time.Millisecond)
				}
				took := time.Since(start)
				got, tasks, missing := statuses(t, store, ids)
				execs := c.executions()
				total, retries, neverRan := 0, 0, 0
				for _, id := range ids {
					total += execs[id]
					if execs[id] == 0 {
						neverRan++
					}
				}
				for _, tk := range tasks {
					retries += tk.RetryCount
				}
				record(t, drainColumns, row{scenario: o.name, deployment: d.name, cells: map[string]string{
					"tasks": itoa(n), "outage": seen, "completed": itoa(got[taskq.StatusCompleted]),
					"lost": itoa(missing), "not completed": itoa(n - got[taskq.StatusCompleted] - missing),
					"executions": itoa(total), "repeated": itoa(total - (n - neverRan)), "retries used": itoa(retries),
					"took": took.Round(100 * time.Millisecond).String(),
				}})
				require.Zero(t, missing, "records lost")
				require.Equal(t, n, got[taskq.StatusCompleted], "every task completed: %v", got)
				require.Zero(t, neverRan)
				if o.name == partitionName && !d.pg {
					// On Redis alone, a node cut from Redis is cut from its
					// storage too: the others cannot tell it from a dead
					// node, and count its attempts as failed.
					return
				}
				require.Zero(t, retries, "the outage burned retries: no worker died")
			})
		}
	}
}
