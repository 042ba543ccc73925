package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bounds on starting and stopping a server.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	killTimeout  = 5 * time.Second
)

// server is one child process (redis-server or postgres) started for the
// run, stopped by its PID.
type server struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func (s *server) start(stdout *os.File) error {
	// Its own process group, so that a kill reaches postgres' backends
	// too; the parent's death stops it (Pdeathsig).
	s.cmd.SysProcAttr.Setpgid = true
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	s.cmd.Stdout, s.cmd.Stderr = stdout, stdout
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	s.done = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	return nil
}

// stop sends SIGINT (redis saves nothing, postgres does a fast shutdown),
// then SIGKILL to the process group if it has not exited in time.
func (s *server) stop() error {
	if s == nil || s.done == nil {
		return nil
	}
	pid := s.cmd.Process.Pid
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-s.done:
		return fmt.Errorf("%s pid %d ignored SIGINT for %v and was killed", s.name, pid, stopTimeout)
	case <-time.After(killTimeout):
		return fmt.Errorf("%s pid %d survived SIGKILL", s.name, pid)
	}
}

// servers are the run's redis-server and PostgreSQL, in a temp dir.
type servers struct {
	dir       string
	redis     *server
	pg        *server
	redisAddr string
	pgPort    int
	versions  []string

	once sync.Once
	err  error
}

// startServers starts redis-server (AOF on, fsync every second) and
// PostgreSQL (fsync and synchronous_commit on) on free loopback ports.
func startServers(ctx context.Context, o options) (*servers, error) {
	dir, err := os.MkdirTemp("", "taskq-peers-")
	if err != nil {
		return nil, err
	}
	// The postgres OS user must reach its data dir inside.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &servers{dir: dir}
	if o.needRedis() {
		if err := s.startRedis(ctx, o); err != nil {
			_ = s.stop()
			return nil, err
		}
	}
	if o.needPostgres() {
		if err := s.startPostgres(ctx, o); err != nil {
			_ = s.stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *servers) stop() error {
	s.once.Do(func() {
		s.err = errors.Join(s.redis.stop(), s.pg.stop(), os.RemoveAll(s.dir))
	})
	return s.err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func logFile(dir, name string) (*os.File, error) {
	return os.Create(filepath.Join(dir, name+".log"))
}

func (s *servers) startRedis(ctx context.Context, o options) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	rdir := filepath.Join(s.dir, "redis")
	if err := os.Mkdir(rdir, 0o700); err != nil {
		return err
	}
	f, err := logFile(s.dir, "redis")
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(o.redisServer,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", rdir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--daemonize", "no", "--protected-mode", "yes")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	s.redis = &server{name: "redis-server", cmd: cmd, log: f.Name()}
	if err := s.redis.start(f); err != nil {
		return err
	}
	s.redisAddr = "127.0.0.1:" + strconv.Itoa(port)
	v, err := waitRedis(ctx, s.redisAddr, s.redis.done)
	if err != nil {
		return fmt.Errorf("%w (log %s)", err, f.Name())
	}
	s.versions = append(s.versions, "redis-server "+v+" (appendonly yes, appendfsync everysec, no RDB snapshots)")
	return nil
}

// waitRedis waits until redis answers PING and returns its version.
func waitRedis(ctx context.Context, addr string, exited <-chan struct{}) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		v, err := redisVersion(addr)
		if err == nil {
			return v, nil
		}
		select {
		case <-exited:
			return "", errors.New("redis-server exited during start-up")
		case <-ctx.Done():
			return "", fmt.Errorf("redis-server not ready: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func redisVersion(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(head, "$") {
		return "", fmt.Errorf("redis: %s", strings.TrimSpace(head))
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
}

// postgresCredential is the postgres OS user's when running as root
// (PostgreSQL refuses to run as root), nil otherwise.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres OS user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user has non-numeric uid/gid %q/%q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *servers) startPostgres(ctx context.Context, o options) error {
	cred, err := postgresCredential()
	if err != nil {
		return err
	}
	pdir := filepath.Join(s.dir, "pg")
	if err := os.Mkdir(pdir, 0o700); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(pdir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(pdir, "data")
	initCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	initdb := exec.CommandContext(initCtx, filepath.Join(o.pgBin, "initdb"), "--no-sync", "--no-instructions",
		"-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-D", data)
	initdb.Dir = pdir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	f, err := logFile(s.dir, "postgres")
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(filepath.Join(o.pgBin, "postgres"),
		"-D", data, "-k", pdir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
		"-c", "max_connections=300", "-c", "shared_buffers=256MB")
	cmd.Dir = pdir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	s.pg = &server{name: "postgres", cmd: cmd, log: f.Name()}
	if err := s.pg.start(f); err != nil {
		return err
	}
	s.pgPort = port
	v, err := waitPostgres(ctx, s.pgURL("postgres"), s.pg.done)
	if err != nil {
		return fmt.Errorf("%w (log %s)", err, f.Name())
	}
	s.versions = append(s.versions, "PostgreSQL "+v+" (fsync on, synchronous_commit on, shared_buffers 256MB)")
	return nil
}

// pgURL is the URL of database db on the run's server.
func (s *servers) pgURL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.pgPort, db)
}

// waitPostgres waits until the server accepts connections and returns its
// version.
func waitPostgres(ctx context.Context, url string, exited <-chan struct{}) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		var v string
		conn, err := pgx.Connect(cctx, url)
		if err == nil {
			err = conn.QueryRow(cctx, "SHOW server_version").Scan(&v)
			_ = conn.Close(cctx)
		}
		ccancel()
		if err == nil {
			return v, nil
		}
		select {
		case <-exited:
			return "", errors.New("postgres exited during start-up")
		case <-ctx.Done():
			return "", fmt.Errorf("postgres not ready: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
