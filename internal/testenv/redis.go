package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the Redis helpers.
const (
	redisStartTimeout   = 15 * time.Second // until PING answers PONG
	redisStopTimeout    = 10 * time.Second // SIGTERM grace before SIGKILL
	clusterReadyTimeout = 30 * time.Second // until every node says cluster_state:ok
)

// Redis is a redis-server process started by StartRedis. Its methods are
// safe for concurrent use.
type Redis struct {
	bin  string
	dir  string
	port int
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// RedisOption changes how StartRedis runs redis-server.
type RedisOption func(*redisConfig)

type redisConfig struct {
	appendOnly bool
	args       []string
}

// WithAppendOnly turns on the append-only file with appendfsync always, so
// every write acknowledged to a client survives a restart or a crash.
func WithAppendOnly() RedisOption {
	return func(c *redisConfig) { c.appendOnly = true }
}

// WithRedisArgs appends command-line arguments for redis-server, e.g.
// "--maxmemory", "100mb".
func WithRedisArgs(args ...string) RedisOption {
	return func(c *redisConfig) { c.args = append(c.args, args...) }
}

// StartRedis starts redis-server on a free 127.0.0.1 port in a fresh
// t.TempDir(), waits until it answers PING, and stops it by PID when the test
// ends (SIGTERM, then SIGKILL after a bound). The server log is written to
// the test log when the test failed. A missing redis-server skips the test
// (or fails it with TASKQ_REQUIRE_INTEGRATION=1).
func StartRedis(t testing.TB, opts ...RedisOption) *Redis {
	t.Helper()
	var cfg redisConfig
	for _, o := range opts {
		o(&cfg)
	}
	bin := LookPath(t, "redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server")
	args := []string{"--save", "", "--protected-mode", "yes"}
	if cfg.appendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	args = append(args, cfg.args...)
	r := &Redis{bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(func() {
		if t.Failed() {
			r.logServerLog(t)
		}
		r.stop(t)
	})
	var err error
	for range 3 { // another process may take the free port before redis binds it
		r.port = FreePort(t)
		if err = r.start(); err == nil {
			return r
		}
	}
	r.logServerLog(t)
	t.Fatalf("testenv: redis-server did not start: %v", err)
	return nil
}

// Addr returns host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// Port returns the TCP port.
func (r *Redis) Port() int { return r.port }

// URL returns redis://127.0.0.1:port.
func (r *Redis) URL() string { return "redis://" + r.Addr() }

// Dir returns the server's working directory (AOF, nodes.conf, log).
func (r *Redis) Dir() string { return r.dir }

// Stop stops the server (SIGTERM, then SIGKILL after a bound). Stopping a
// stopped server does nothing.
func (r *Redis) Stop(t testing.TB) {
	t.Helper()
	r.stop(t)
}

// Kill stops the server with SIGKILL at once, like a crash.
func (r *Redis) Kill(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(redisStopTimeout):
		t.Errorf("testenv: redis-server pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// Start starts a stopped server again on the same port and directory and
// waits until it answers PING (after loading its append-only file, if any).
func (r *Redis) Start(t testing.TB) {
	t.Helper()
	if err := r.start(); err != nil {
		r.logServerLog(t)
		t.Fatalf("testenv: redis-server did not restart: %v", err)
	}
}

// Restart stops the server and starts it again on the same port and
// directory.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.stop(t)
	r.Start(t)
}

// Do sends one command and returns the reply as text (a bulk or simple
// string, an integer, or an array flattened one element per line). A Redis
// error reply is returned as an error. It is meant for test set-up and
// assertions, not for load.
func (r *Redis) Do(args ...string) (string, error) {
	return redisDo(r.Addr(), 5*time.Second, args...)
}

func (r *Redis) logPath() string { return filepath.Join(r.dir, "redis.log") }

func (r *Redis) logServerLog(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(r.logPath())
	if err != nil {
		t.Logf("testenv: no redis-server log: %v", err)
		return
	}
	t.Logf("testenv: redis-server log (%s):\n%s", r.Addr(), b)
}

func (r *Redis) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return errors.New("already running")
	}
	args := append([]string{
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--dir", r.dir,
		"--logfile", r.logPath(),
		"--daemonize", "no",
	}, r.args...)
	cmd := exec.Command(r.bin, args...)
	cmd.Dir = r.dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", r.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(redisStartTimeout)
	for {
		reply, err := redisDo(r.Addr(), time.Second, "PING")
		if err == nil && reply == "PONG" {
			r.cmd, r.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited during start-up: %s", cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("no PONG within %s (last: %q, %v)", redisStartTimeout, reply, err)
		}
	}
}

func (r *Redis) stop(t testing.TB) {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(redisStopTimeout):
	}
	t.Logf("testenv: redis-server pid %d ignored SIGTERM for %s; sending SIGKILL", cmd.Process.Pid, redisStopTimeout)
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(redisStopTimeout):
		t.Errorf("testenv: redis-server pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// RedisCluster is a Redis Cluster of three masters (no replicas) started by
// StartRedisCluster.
type RedisCluster struct {
	// Nodes are the three masters.
	Nodes []*Redis
}

// StartRedisCluster starts three redis-server processes with
// --cluster-enabled yes on free loopback ports, joins them with
// `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, and
// waits until every node reports cluster_state:ok. The nodes are stopped by
// PID when the test ends. Missing binaries skip the test (or fail it with
// TASKQ_REQUIRE_INTEGRATION=1).
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	cli := LookPath(t, "redis-cli", "/usr/bin/redis-cli", "/usr/local/bin/redis-cli")
	c := &RedisCluster{}
	for range 3 {
		c.Nodes = append(c.Nodes, StartRedis(t, WithRedisArgs(
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
			// An explicit bus port: the default port+10000 may be taken or
			// beyond 65535.
			"--cluster-port", strconv.Itoa(FreePort(t)),
		)))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(clusterReadyTimeout)
	for _, n := range c.Nodes {
		for {
			info, err := n.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("testenv: cluster node %s not ok within %s: %v\n%s\nredis-cli said:\n%s",
					n.Addr(), clusterReadyTimeout, err, info, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// Addrs returns the host:port of every node.
func (c *RedisCluster) Addrs() []string {
	a := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		a[i] = n.Addr()
	}
	return a
}

// URL returns a redis:// URL naming every node (the first in the host part,
// the others as addr= parameters), the form rueidis.ParseURL accepts for a
// cluster client.
func (c *RedisCluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr()
	for i, n := range c.Nodes[1:] {
		if i == 0 {
			u += "?"
		} else {
			u += "&"
		}
		u += "addr=" + n.Addr()
	}
	return u
}

// redisDo sends one RESP command on a fresh connection and reads one reply.
func redisDo(addr string, timeout time.Duration, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		parts := make([]string, 0, n)
		for range n {
			s, err := readReply(br)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}
