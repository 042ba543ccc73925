package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

const riverTemplate = "tpl_river"

// riverTarget is River on a fresh database of the run's PostgreSQL.
type riverTarget struct {
	e      *env
	pool   *pgxpool.Pool
	drop   func() error
	insert *river.Client[pgx.Tx]
	// active is the running worker client: while it runs, inserts go
	// through it, so that its insert notifications follow its
	// FetchCooldown (River rate-limits them per client).
	active atomic.Pointer[river.Client[pgx.Tx]]
}

// riverLogger keeps River's warnings and errors.
func riverLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// noopWorker is River's no-op handler.
type noopWorker struct {
	river.WorkerDefaults[payload]
	started func(time.Time)
}

// Work reports the job's enqueue time when asked to, and does nothing
// else.
func (w *noopWorker) Work(_ context.Context, j *river.Job[payload]) error {
	if w.started != nil {
		sent, err := sentAt(j.Args.T)
		if err != nil {
			return river.JobCancel(err)
		}
		w.started(sent)
	}
	return nil
}

func openRiver(ctx context.Context, e *env) (target, error) {
	tpl, err := e.template(ctx, riverTemplate, func(ctx context.Context, url string) error {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return err
		}
		defer pool.Close()
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	db, drop, err := e.phaseDB(ctx, tpl)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, e.poolURL(db))
	if err != nil {
		return nil, errors.Join(err, drop())
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{})
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers, Logger: riverLogger()})
	if err != nil {
		pool.Close()
		return nil, errors.Join(err, drop())
	}
	return &riverTarget{e: e, pool: pool, drop: drop, insert: c}, nil
}

func (t *riverTarget) close() error {
	t.pool.Close()
	return t.drop()
}

func (t *riverTarget) client() *river.Client[pgx.Tx] {
	if c := t.active.Load(); c != nil {
		return c
	}
	return t.insert
}

func (t *riverTarget) enqueue(ctx context.Context, p payload) error {
	_, err := t.client().Insert(ctx, p, nil)
	return err
}

func (t *riverTarget) enqueueBatch(ctx context.Context, ps []payload, fast bool) error {
	params := make([]river.InsertManyParams, len(ps))
	for i, p := range ps {
		params[i] = river.InsertManyParams{Args: p}
	}
	if fast {
		_, err := t.client().InsertManyFast(ctx, params)
		return err
	}
	_, err := t.client().InsertMany(ctx, params)
	return err
}

// preload uses InsertManyFast (COPY).
func (t *riverTarget) preload(ctx context.Context, n, batch int) error {
	return preloadBatches(ctx, t, n, batch, true)
}

type riverRunner struct {
	t        *riverTarget
	c        *river.Client[pgx.Tx]
	cancelEv func()
	*doneCounter
}

func (r *riverRunner) completed() int64 { return r.n.Load() }

func (r *riverRunner) stop(ctx context.Context) error {
	r.t.active.CompareAndSwap(r.c, nil)
	err := r.c.Stop(ctx)
	r.cancelEv()
	return err
}

func (t *riverTarget) work(ctx context.Context, conc int, tuned bool, expect int, started func(time.Time)) (runner, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{started: started})
	cfg := &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: conc}},
		Workers: workers,
		Logger:  riverLogger(),
	}
	if tuned {
		cfg.FetchCooldown = t.e.o.riverCooldown
		cfg.FetchPollInterval = t.e.o.riverPoll
	}
	c, err := river.NewClient(riverpgxv5.New(t.pool), cfg)
	if err != nil {
		return nil, err
	}
	// Completed events come after the completer has stored the
	// completion; the channel holds them all, so none is dropped.
	events, cancel := c.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: max(expect+1000, 1000),
		Kinds:    []river.EventKind{river.EventKindJobCompleted},
	})
	dc := newDoneCounter(expect)
	go func() {
		for ev := range events {
			if ev.Kind == river.EventKindJobCompleted {
				dc.add()
			}
		}
	}()
	if err := c.Start(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("river start: %w", err)
	}
	t.active.Store(c)
	return &riverRunner{t: t, c: c, cancelEv: cancel, doneCounter: dc}, nil
}
