// Command peers runs taskq (four deployments), asynq and River side by
// side on servers it starts itself, and prints one markdown table: enqueue
// throughput (1 and 16 producers, batches), drain throughput of
// pre-loaded no-op tasks, enqueue-to-start latency at a fixed rate, the
// PostgreSQL single-client commit rate as the reference, and the CPU time
// and allocations of this process per task.
//
// From the repository root:
//
//	make bench-peers                                  # full run, prints the table
//	make bench-peers BENCH_PEERS_FLAGS=-short         # smoke run, under 2 minutes
//	make bench-peers BENCH_PEERS_FLAGS=-write-doc     # also writes docs/performance.md
//
// With -scale (make bench-scale, BENCH_SCALE_FLAGS) it measures instead
// the durable taskq deployments at N pending tasks (-scale-tasks, default
// 20,000 and 1,000,000; -short: 2,000 and 20,000): load rate, storage per
// task, GET /api/tasks latency, the periodic reads and maintenance passes,
// and the drain (scale.go).
//
// It starts redis-server (appendonly yes, appendfsync everysec) and
// PostgreSQL 15 (fsync on, synchronous_commit on) on free loopback ports
// in a temp dir, and stops them by PID at the end. Every phase is bounded
// in time, and the whole run by -timeout.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	tasks       int
	short       bool
	producers   int
	batch       int
	concs       []int
	rate        int
	latencyConc int
	latencyDur  time.Duration
	refDur      time.Duration
	systems     []string
	pgPool      int
	timeout     time.Duration

	asynqCheck    time.Duration
	riverCooldown time.Duration
	riverPoll     time.Duration

	writeDoc bool
	docPath  string

	// scale selects the scale mode (scale.go) instead of the peers table.
	scale      bool
	scaleTasks []int

	redisServer string
	pgBin       string
}

func (o options) selected(id string) bool {
	for _, s := range o.systems {
		if s == id {
			return true
		}
	}
	return false
}

func (o options) needRedis() bool {
	for _, s := range systems() {
		if s.redis && o.selected(s.id) {
			return true
		}
	}
	return false
}

func (o options) needPostgres() bool {
	for _, s := range systems() {
		if s.pg && o.selected(s.id) {
			return true
		}
	}
	return false
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	var systemsFlag, scaleTasksFlag string
	fs.IntVar(&o.tasks, "tasks", 20000, "tasks per phase (N)")
	fs.BoolVar(&o.short, "short", false, "smoke run: -tasks 2000, 2s latency phases, 2s commit reference (flags given explicitly win)")
	fs.IntVar(&o.producers, "producers", 16, "producers of the multi-producer enqueue phase")
	fs.IntVar(&o.batch, "batch", 1000, "tasks per batch enqueue call")
	fs.IntVar(&o.rate, "rate", 500, "tasks per second of the latency phases")
	fs.IntVar(&o.latencyConc, "latency-concurrency", 100, "worker concurrency of the latency phases")
	fs.DurationVar(&o.latencyDur, "latency-duration", 10*time.Second, "how long each latency phase enqueues")
	fs.DurationVar(&o.refDur, "ref-duration", 10*time.Second, "how long the PostgreSQL commit reference runs")
	fs.StringVar(&systemsFlag, "systems", strings.Join(systemIDs(), ","), "comma-separated systems to run")
	fs.IntVar(&o.pgPool, "pg-pool", 20, "pool_max_conns of the PostgreSQL pools of taskq and River (0: pgx's default)")
	fs.DurationVar(&o.timeout, "timeout", 45*time.Minute, "bound on the whole run")
	fs.DurationVar(&o.asynqCheck, "tuned-asynq-check", 5*time.Millisecond, "asynq TaskCheckInterval of the tuned latency phase (default 1s)")
	fs.DurationVar(&o.riverCooldown, "tuned-river-cooldown", time.Millisecond, "River FetchCooldown of the tuned latency phase (default 100ms)")
	fs.DurationVar(&o.riverPoll, "tuned-river-poll", 10*time.Millisecond, "River FetchPollInterval of the tuned latency phase (default 1s)")
	fs.BoolVar(&o.writeDoc, "write-doc", false, "write the table and its settings into -doc between its markers")
	fs.StringVar(&o.docPath, "doc", "../docs/performance.md", "the performance document (relative to benchmarks/)")
	fs.BoolVar(&o.scale, "scale", false, "scale mode: load N pending tasks per durable taskq deployment and measure storage, listing, periodic costs and drain (see scale.go)")
	fs.StringVar(&scaleTasksFlag, "scale-tasks", "20000,1000000", "scale mode: comma-separated N (with -short: 2000,20000)")
	fs.StringVar(&o.redisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&o.pgBin, "pg-bin", "/usr/lib/postgresql/15/bin", "directory of PostgreSQL's initdb and postgres")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.short {
		if !set["tasks"] {
			o.tasks = 2000
		}
		if !set["latency-duration"] {
			o.latencyDur = 2 * time.Second
		}
		if !set["ref-duration"] {
			o.refDur = 2 * time.Second
		}
		if !set["timeout"] {
			o.timeout = 5 * time.Minute
		}
		if !set["scale-tasks"] {
			scaleTasksFlag = "2000,20000"
		}
	}
	if o.scale {
		if !set["systems"] {
			systemsFlag = strings.Join(scaleSystems(), ",")
		}
		var err error
		if o.scaleTasks, err = parseCounts(scaleTasksFlag); err != nil {
			return o, fmt.Errorf("-scale-tasks: %w", err)
		}
	}
	o.concs = []int{32, 100}
	for _, s := range strings.Split(systemsFlag, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if systemByID(s) == nil {
			return o, fmt.Errorf("unknown system %q (known: %s)", s, strings.Join(systemIDs(), ","))
		}
		if o.scale && !slices.Contains(scaleSystems(), s) && s != deployMemory {
			return o, fmt.Errorf("-scale measures taskq deployments only: %q is not one (known: %s)", s, strings.Join(scaleSystems(), ","))
		}
		o.systems = append(o.systems, s)
	}
	switch {
	case len(o.systems) == 0:
		return o, fmt.Errorf("-systems selects nothing")
	case o.tasks < 1 || o.producers < 1 || o.batch < 1 || o.rate < 1 || o.latencyConc < 1:
		return o, fmt.Errorf("-tasks, -producers, -batch, -rate and -latency-concurrency must be positive")
	case o.latencyDur <= 0 || o.refDur <= 0 || o.timeout <= 0:
		return o, fmt.Errorf("durations must be positive")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	log.SetFlags(log.Ltime)
	os.Exit(run(o, os.Args[1:]))
}

// run starts the servers, runs every phase and prints the table; it
// returns the exit code (1 when a measure failed).
func run(o options, args []string) int {
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	srv, err := startServers(ctx, o)
	if err != nil {
		log.Printf("start servers: %v", err)
		return 1
	}
	// A phase that ignores its context must not keep the servers alive:
	// past the bound plus a grace period they are stopped and the
	// process exits.
	watchdog := time.AfterFunc(o.timeout+time.Minute, func() {
		log.Printf("run exceeded -timeout %v: stopping the servers", o.timeout)
		_ = srv.stop()
		os.Exit(2)
	})
	defer watchdog.Stop()
	defer func() {
		if err := srv.stop(); err != nil {
			log.Printf("stop servers: %v", err)
		}
	}()
	for _, v := range srv.versions {
		log.Printf("started %s", v)
	}

	e := newEnv(o, srv)
	if o.scale {
		return runScale(ctx, e, args)
	}
	res := runPhases(ctx, e)
	table := res.markdown()
	fmt.Print(table)
	if o.writeDoc {
		block := docBlock(o, args, srv.versions, table)
		if err := writeDoc(o.docPath, block); err != nil {
			log.Printf("write %s: %v", o.docPath, err)
			return 1
		}
		log.Printf("wrote %s", o.docPath)
	}
	if res.failures > 0 {
		log.Printf("%d measures failed (see above)", res.failures)
		return 1
	}
	return 0
}
