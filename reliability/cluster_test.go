package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/server"
)

// deployment is one way to configure the nodes: the backends it needs
// and their settings.
type deployment struct {
	name         string
	redis, pg    bool
	redisOptions []testenv.RedisOption
}

// deployments are the durable deployments every scenario runs on.
var deployments = []deployment{
	{name: "redis+postgres", redis: true, pg: true},
	{name: "postgres", pg: true},
	{name: "redis", redis: true},
}

// backends are the servers of one scenario.
type backends struct {
	redis *testenv.Redis
	pg    *testenv.Postgres
	dbURL string
	env   map[string]string // TASKQ_* settings of every node
}

// startBackends starts what d needs: redis-server with AOF (everysec) and
// PostgreSQL with fsync on.
func startBackends(t *testing.T, d deployment) *backends {
	t.Helper()
	b := &backends{env: map[string]string{}}
	if d.redis {
		b.redis = testenv.StartRedis(t, append([]testenv.RedisOption{testenv.WithAppendOnly()}, d.redisOptions...)...)
		b.env["TASKQ_REDIS_URL"] = b.redis.URL() + "/0"
	}
	if d.pg {
		b.pg = testenv.StartPostgresWith(t, testenv.PostgresOptions{Durable: true})
		b.dbURL = b.pg.NewDatabase(t)
		b.env["TASKQ_DATABASE_URL"] = b.dbURL
	}
	return b
}

// client opens the deployment's backends in this process (as a node
// would) and returns a Client and the store, closed at cleanup.
func (b *backends) client(t *testing.T) (*taskq.Client, taskq.StorageAdapter) {
	t.Helper()
	cfg, err := server.LoadConfig(nil, func(k string) string { return b.env[k] })
	require.NoError(t, err)
	deps, err := server.OpenBackends(t.Context(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = deps.Close() })
	c, err := taskq.NewClient(deps.Store, deps.Queue, taskq.ClientConfig{})
	require.NoError(t, err)
	return c, deps.Store
}

// node is one running node process.
type node struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	exited chan struct{}
	err    error
}

// cluster runs node processes on one deployment and owns their logs.
type cluster struct {
	t      *testing.T
	b      *backends
	dir    string
	extra  map[string]string
	mu     sync.Mutex
	nodes  []*node
	all    []*node
	kills  int
	serial int
}

func newCluster(t *testing.T, b *backends, extra map[string]string) *cluster {
	c := &cluster{t: t, b: b, dir: t.TempDir(), extra: extra}
	t.Cleanup(c.stopAll)
	return c
}

// start launches a node on a free loopback port and waits until its
// /health answers (bounded).
func (c *cluster) start() *node {
	c.t.Helper()
	return c.startWith(nil)
}

// startWith is start with settings that override the cluster's.
func (c *cluster) startWith(over map[string]string) *node {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(c.t, err)
	addr := ln.Addr().String()
	require.NoError(c.t, ln.Close())
	c.mu.Lock()
	c.serial++
	logFile := filepath.Join(c.dir, fmt.Sprintf("exec-%d.log", c.serial))
	c.mu.Unlock()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TASKQ_ADDR=" + addr, "TASKQ_ADMIN_KEY=tq_reliabilityreliabilityreliability00000",
		"TASKQ_JWT_SECRET=reliability-secret-reliability-secret-0", "TASKQ_LOG_LEVEL=warn",
		"TASKQ_REL_LOG=" + logFile,
		// Killed nodes are often the elected one: keep the maintenance
		// failover (TTL + TTL/3) short next to the scenarios' lease TTLs.
		"TASKQ_ELECTION_TTL=2s"}
	settings := map[string]string{}
	for _, m := range []map[string]string{c.b.env, c.extra, over} {
		for k, v := range m {
			settings[k] = v
		}
	}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	n := &node{addr: addr, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	n.cmd = exec.Command(nodeBin)
	n.cmd.Env = env
	n.cmd.Stderr = &lockedWriter{w: n.stderr}
	require.NoError(c.t, n.cmd.Start())
	go func() {
		n.err = n.cmd.Wait()
		close(n.exited)
	}()
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.all = append(c.all, n)
	c.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			return n
		}
		select {
		case <-n.exited:
			c.t.Fatalf("node exited at start: %v\n%s", n.err, n.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node did not answer /health within 30s\n%s", n.stderr)
		}
	}
}

// killRandom SIGKILLs a random running node and waits for it to exit.
func (c *cluster) killRandom() {
	c.mu.Lock()
	if len(c.nodes) == 0 {
		c.mu.Unlock()
		return
	}
	i := rand.IntN(len(c.nodes))
	n := c.nodes[i]
	c.nodes = append(c.nodes[:i], c.nodes[i+1:]...)
	c.kills++
	c.mu.Unlock()
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// stopAll SIGKILLs whatever still runs (cleanup).
func (c *cluster) stopAll() {
	c.mu.Lock()
	nodes := c.all
	c.mu.Unlock()
	for _, n := range nodes {
		select {
		case <-n.exited:
		default:
			_ = n.cmd.Process.Signal(syscall.SIGKILL)
			<-n.exited
		}
	}
	if c.t.Failed() {
		for i, n := range nodes {
			c.t.Logf("node %d (%s) stderr tail:\n%s", i, n.addr, tail(n.stderr.String(), 3000))
		}
	}
}

// executions reads every node's execution log: task id → starts.
func (c *cluster) executions() map[string]int {
	c.t.Helper()
	out := map[string]int{}
	files, err := filepath.Glob(filepath.Join(c.dir, "exec-*.log"))
	require.NoError(c.t, err)
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(c.t, err)
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if id, _, ok := strings.Cut(sc.Text(), " "); ok {
				out[id]++
			}
		}
		fh.Close()
	}
	return out
}

// lockedWriter serializes writes to a buffer read by the test.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 {
		return len(p), nil
	}
	return l.w.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// enqueueWork loads n "work" tasks sleeping between minMS and maxMS.
func enqueueWork(t *testing.T, c *taskq.Client, n, minMS, maxMS int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for len(ids) < n {
		batch := min(1000, n-len(ids))
		reqs := make([]taskq.EnqueueRequest, batch)
		for i := range reqs {
			reqs[i] = taskq.EnqueueRequest{Type: "work", Metadata: map[string]any{"ms": minMS + rand.IntN(maxMS-minMS+1)}}
		}
		ts, err := c.EnqueueMany(t.Context(), reqs)
		require.NoError(t, err)
		for _, tk := range ts {
			ids = append(ids, tk.ID)
		}
	}
	return ids
}

// unfinished reports whether any task is still pending, running or
// failed (waiting for a retry).
func unfinished(ctx context.Context, store taskq.StorageAdapter) (bool, error) {
	page, err := store.ListTasks(ctx, taskq.TaskFilter{Statuses: []taskq.TaskStatus{taskq.StatusPending, taskq.StatusRunning, taskq.StatusFailed}, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(page.Tasks) > 0, nil
}

// statuses reads every record of ids: status → count, and the ids
// missing from the storage.
func statuses(t *testing.T, store taskq.StorageAdapter, ids []string) (map[taskq.TaskStatus]int, []*taskq.Task, int) {
	t.Helper()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := map[taskq.TaskStatus]int{}
	var tasks []*taskq.Task
	f := taskq.TaskFilter{Limit: taskq.MaxPageSize}
	for {
		page, err := store.ListTasks(t.Context(), f)
		require.NoError(t, err)
		for _, tk := range page.Tasks {
			if want[tk.ID] {
				out[tk.Status]++
				tasks = append(tasks, tk)
				delete(want, tk.ID)
			}
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	return out, tasks, len(want)
}

// itoa is strconv.Itoa, short for the tables.
func itoa(n int) string { return strconv.Itoa(n) }
