package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

// taskq deployments, as named in the table.
const (
	deployRedisPG  = "redis+postgres"
	deployPGOnly   = "postgres-only"
	deployRedis    = "redis-only"
	deployMemory   = "memory"
	taskqTemplate  = "tpl_taskq"
	taskqTunedPoll = 50 * time.Millisecond
)

// taskqTarget is one taskq deployment: a storage, a queue and a Client
// over them.
type taskqTarget struct {
	store   taskq.StorageAdapter
	queue   taskq.Queue
	client  *taskq.Client
	closers []func() error
	// db is the PostgreSQL database of the deployment ("" without one).
	db string
}

// openTaskq opens deployment dep on a fresh namespace.
func openTaskq(ctx context.Context, e *env, dep string) (target, error) {
	t := &taskqTarget{}
	if err := t.openBackends(ctx, e, dep); err != nil {
		_ = t.close()
		return nil, err
	}
	// As taskq-server does on Redis and PostgreSQL: the Client pushes the
	// entries of committed tasks in the background (no effect elsewhere:
	// PostgreSQL alone and Redis alone write them with the records).
	c, err := taskq.NewClient(t.store, t.queue, taskq.ClientConfig{BackgroundPush: dep == deployRedisPG})
	if err != nil {
		_ = t.close()
		return nil, err
	}
	t.client = c
	return t, nil
}

func (t *taskqTarget) openBackends(ctx context.Context, e *env, dep string) error {
	prefix := "peers" + strconv.FormatInt(e.seq.Add(1), 10)
	if dep == deployRedisPG || dep == deployRedis {
		if err := e.flushRedis(ctx); err != nil {
			return err
		}
	}
	if dep == deployRedisPG {
		q, err := redisqueue.NewFromURL(e.redisURL(), redisqueue.Config{KeyPrefix: prefix})
		if err != nil {
			return err
		}
		t.queue = q
		t.closers = append(t.closers, q.Close)
	}
	switch dep {
	case deployMemory:
		t.store, t.queue = storage.NewMemory(), queue.NewMemory()
		return nil
	case deployRedis:
		// As taskq-server opens Redis alone: the queue on the store's
		// client, the store writing each task's entry with its record.
		s, err := redisstore.NewFromURL(e.redisURL(), redisstore.Config{KeyPrefix: prefix})
		if err != nil {
			return err
		}
		t.store = s
		t.closers = append(t.closers, s.Close)
		q, err := s.Queue(redisqueue.Config{})
		if err != nil {
			return err
		}
		t.queue = q
		t.closers = append(t.closers, q.Close)
		return nil
	case deployRedisPG, deployPGOnly:
	default:
		return fmt.Errorf("unknown taskq deployment %q", dep)
	}
	tpl, err := e.template(ctx, taskqTemplate, func(ctx context.Context, url string) error {
		s, err := postgres.Open(ctx, url, postgres.Config{})
		if err != nil {
			return err
		}
		return s.Close()
	})
	if err != nil {
		return err
	}
	db, drop, err := e.phaseDB(ctx, tpl)
	if err != nil {
		return err
	}
	t.closers = append(t.closers, drop)
	t.db = db
	s, err := postgres.Open(ctx, e.poolURL(db), postgres.Config{Dispatch: dep == deployPGOnly})
	if err != nil {
		return err
	}
	t.store = s
	t.closers = append(t.closers, s.Close)
	if dep == deployPGOnly {
		q := s.Queue(postgres.QueueConfig{})
		t.queue = q
		t.closers = append(t.closers, q.Close)
	}
	return nil
}

// close closes in reverse order of opening (the queue of a store before
// the store, the store before its database is dropped).
func (t *taskqTarget) close() error {
	var errs []error
	for i := len(t.closers) - 1; i >= 0; i-- {
		errs = append(errs, t.closers[i]())
	}
	t.closers = nil
	return errors.Join(errs...)
}

// flush waits for the Client's background pushes (a no-op without them).
func (t *taskqTarget) flush(ctx context.Context) error { return t.client.Flush(ctx) }

func (t *taskqTarget) enqueue(ctx context.Context, p payload) error {
	_, err := t.client.Enqueue(ctx, kind, p.metadata())
	return err
}

func (t *taskqTarget) enqueueBatch(ctx context.Context, ps []payload, fast bool) error {
	if fast {
		return errUnsupported
	}
	reqs := make([]taskq.EnqueueRequest, len(ps))
	for i, p := range ps {
		reqs[i] = taskq.EnqueueRequest{Type: kind, Metadata: p.metadata()}
	}
	_, err := t.client.EnqueueMany(ctx, reqs)
	return err
}

func (t *taskqTarget) preload(ctx context.Context, n, batch int) error {
	return preloadBatches(ctx, t, n, batch, false)
}

// taskqCounter counts completed attempts: the worker reports one after
// the completion is stored.
type taskqCounter struct {
	taskq.NopObserver
	*doneCounter
}

// TaskFinished counts completed attempts.
func (c taskqCounter) TaskFinished(_ string, o taskq.Outcome, _ time.Duration) {
	if o == taskq.OutcomeCompleted {
		c.add()
	}
}

type taskqRunner struct {
	w *worker.Worker
	*doneCounter
}

func (r taskqRunner) completed() int64               { return r.n.Load() }
func (r taskqRunner) stop(ctx context.Context) error { return r.w.Stop(ctx) }

func (t *taskqTarget) work(ctx context.Context, conc int, tuned bool, expect int, started func(time.Time)) (runner, error) {
	dc := newDoneCounter(expect)
	cfg := worker.Config{Concurrency: conc, Observer: taskqCounter{doneCounter: dc}}
	if tuned {
		cfg.PollInterval = taskqTunedPoll
	}
	w, err := worker.New(t.store, t.queue, cfg)
	if err != nil {
		return nil, err
	}
	w.HandleFunc(kind, func(_ context.Context, task *taskq.Task) (any, error) {
		if started != nil {
			s, _ := task.Metadata["t"].(string)
			sent, err := sentAt(s)
			if err != nil {
				return nil, taskq.Permanent(err)
			}
			started(sent)
		}
		return nil, nil
	})
	if err := w.Start(ctx); err != nil {
		return nil, err
	}
	return taskqRunner{w: w, doneCounter: dc}, nil
}
