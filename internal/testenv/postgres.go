package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresBinDir is where the Debian/Ubuntu package installs PostgreSQL 15.
const PostgresBinDir = "/usr/lib/postgresql/15/bin"

// Bounds on waiting for the server.
const (
	postgresReadyTimeout = 60 * time.Second
	postgresStopTimeout  = 15 * time.Second
	postgresKillTimeout  = 5 * time.Second
	postgresLogCap       = 64 << 10
)

// PostgresOptions configures a test server. The zero value is the fast
// test setting.
type PostgresOptions struct {
	// Durable keeps fsync on, for benchmarks that must pay for durable
	// commits. Default false: the server runs with -F (fsync off), which
	// keeps synchronous_commit semantics but skips the disk flush.
	Durable bool
}

// Postgres is a PostgreSQL server started for tests: it runs as the
// postgres OS user when the tests run as root, binds 127.0.0.1 only and
// lives in its own temp dir.
type Postgres struct {
	// Port is the TCP port on 127.0.0.1.
	Port int

	dir     string
	dataDir string
	bin     string
	cred    *syscall.Credential
	opts    PostgresOptions
	log     *LogBuffer
	seq     atomic.Int64

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}

	tplMu     sync.Mutex
	templates map[string]*pgTemplate
}

type pgTemplate struct {
	once sync.Once
	err  error
}

// StartPostgres starts a PostgreSQL server owned by t and stopped in
// t.Cleanup. Tests that share a server use SharedPostgres instead; this one
// is for tests that stop and restart their server.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	return StartPostgresWith(t, PostgresOptions{})
}

// StartPostgresWith is StartPostgres with options.
func StartPostgresWith(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	initdb, postgres := postgresBinaries(t)
	p, err := startPostgres(initdb, postgres, opts)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgres server log (tail):\n%s", p.Log())
		}
		if err := p.shutdown(); err != nil {
			t.Errorf("testenv: %v", err)
		}
	})
	return p
}

var shared struct {
	once sync.Once
	p    *Postgres
	err  error
}

// StatStatementsEnv, when set in the environment, makes the servers this
// package starts load pg_stat_statements (tracking nested statements too),
// for benchmarks that report where the database time goes.
const StatStatementsEnv = "TASKQ_PG_STAT_STATEMENTS"

// SharedPostgres returns the test binary's shared server, starting it on
// first use. TestMain must call StopSharedPostgres after m.Run. Each test
// isolates itself with NewDatabase.
func SharedPostgres(t testing.TB) *Postgres {
	t.Helper()
	initdb, postgres := postgresBinaries(t)
	shared.once.Do(func() {
		shared.p, shared.err = startPostgres(initdb, postgres, PostgresOptions{})
	})
	if shared.err != nil {
		t.Fatalf("testenv: %v", shared.err)
	}
	return shared.p
}

// StopSharedPostgres stops the server started by SharedPostgres, if any,
// and removes its files.
func StopSharedPostgres() {
	if shared.p == nil {
		return
	}
	if err := shared.p.shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
}

func postgresBinaries(t testing.TB) (initdb, postgres string) {
	t.Helper()
	initdb = LookPath(t, "initdb", filepath.Join(PostgresBinDir, "initdb"))
	postgres = LookPath(t, "postgres", filepath.Join(PostgresBinDir, "postgres"))
	return initdb, postgres
}

func startPostgres(initdb, bin string, opts PostgresOptions) (*Postgres, error) {
	cred, uid, gid, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "taskq-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres temp dir: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("chown postgres temp dir: %w", err)
		}
	}
	p := &Postgres{
		dir:       dir,
		dataDir:   filepath.Join(dir, "data"),
		bin:       bin,
		cred:      cred,
		opts:      opts,
		log:       &LogBuffer{Cap: postgresLogCap},
		templates: map[string]*pgTemplate{},
	}
	cmd := exec.Command(initdb, "--no-sync", "--no-instructions", "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "-D", p.dataDir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := p.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// postgresCredential returns the credential of the postgres OS user when
// running as root (PostgreSQL refuses to run as root), nil otherwise.
func postgresCredential() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, 0, 0, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("running as root needs the postgres OS user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, 0, 0, fmt.Errorf("postgres user has non-numeric uid/gid %q/%q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
}

// Start starts the server on its port and data dir (again, after Stop)
// and waits until it accepts connections.
func (p *Postgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("postgres already running")
	}
	if p.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		p.Port = port
	}
	args := []string{
		"-D", p.dataDir, "-k", p.dir, "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300",
		"-c", "shared_buffers=64MB",
	}
	if !p.opts.Durable {
		args = append(args, "-F", "-c", "full_page_writes=off")
	}
	if os.Getenv(StatStatementsEnv) != "" {
		args = append(args, "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all")
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = p.dir
	cmd.Stdout = p.log
	cmd.Stderr = p.log
	// Its own process group so a kill reaches the backends too; SIGQUIT
	// (immediate shutdown) if the test binary dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	if err := p.waitReady(done); err != nil {
		p.stopLocked()
		return fmt.Errorf("%w\nserver log:\n%s", err, p.Log())
	}
	return nil
}

func (p *Postgres) waitReady(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), postgresReadyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, p.URL("postgres"))
		if err == nil {
			err = conn.Ping(cctx)
			_ = conn.Close(cctx)
		}
		ccancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-exited:
			return errors.New("postgres exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready after %v: %w", postgresReadyTimeout, last)
		case <-tick.C:
		}
	}
}

// Stop stops the server: SIGINT (fast shutdown), then SIGKILL to its
// process group if it has not exited within a bound. The data dir stays,
// so Start brings the same server back.
func (p *Postgres) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked()
}

func (p *Postgres) stopLocked() error {
	if p.cmd == nil {
		return nil
	}
	cmd, done := p.cmd, p.done
	p.cmd, p.done = nil, nil
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
		return nil
	case <-time.After(postgresStopTimeout):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-done:
		return fmt.Errorf("postgres pid %d ignored SIGINT for %v and was killed", cmd.Process.Pid, postgresStopTimeout)
	case <-time.After(postgresKillTimeout):
		return fmt.Errorf("postgres pid %d survived SIGKILL", cmd.Process.Pid)
	}
}

func (p *Postgres) shutdown() error {
	err := p.Stop()
	if rerr := os.RemoveAll(p.dir); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// Log returns the tail of the server's output.
func (p *Postgres) Log() string { return p.log.String() }

// URL returns the connection URL of database db.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// NewDatabase creates an empty database for t, dropped in t.Cleanup, and
// returns its URL.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	return p.NewDatabaseFrom(t, "")
}

// NewDatabaseFrom creates a database for t as a copy of template (empty
// means template1), dropped in t.Cleanup, and returns its URL. Copying a
// migrated template is much cheaper than migrating each database.
func (p *Postgres) NewDatabaseFrom(t testing.TB, template string) string {
	t.Helper()
	name, err := p.createDatabase(template)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgres server log (tail):\n%s", p.Log())
		}
		if err := p.admin("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
	})
	return p.URL(name)
}

// CreateDatabase creates a database as a copy of template (empty means
// template1) that lives as long as the server, and returns its URL. It
// suits pools of databases that tests reset and reuse (creating a database
// costs about 150 ms; emptying a few tables a few ms).
func (p *Postgres) CreateDatabase(template string) (string, error) {
	name, err := p.createDatabase(template)
	if err != nil {
		return "", err
	}
	return p.URL(name), nil
}

func (p *Postgres) createDatabase(template string) (string, error) {
	name := fmt.Sprintf("taskq_test_%d", p.seq.Add(1))
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := p.admin(q); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return name, nil
}

// Template creates database name once per server and runs init on its
// URL; init must close its connections before returning, so that the
// database can serve as a template for NewDatabaseFrom. Every caller gets
// the same result; the database lives as long as the server.
func (p *Postgres) Template(t testing.TB, name string, init func(ctx context.Context, url string) error) string {
	t.Helper()
	p.tplMu.Lock()
	tpl := p.templates[name]
	if tpl == nil {
		tpl = &pgTemplate{}
		p.templates[name] = tpl
	}
	p.tplMu.Unlock()
	tpl.once.Do(func() {
		if err := p.admin("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
			tpl.err = fmt.Errorf("create template database: %w", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := init(ctx, p.URL(name)); err != nil {
			tpl.err = fmt.Errorf("init template database: %w", err)
		}
	})
	if tpl.err != nil {
		t.Fatalf("testenv: %v", tpl.err)
	}
	return name
}

func (p *Postgres) admin(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
