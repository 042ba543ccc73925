package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// asynqQueue is asynq's default queue, the one every task goes to.
const asynqQueue = "default"

// asynqTarget is asynq on the run's Redis (flushed for each phase).
type asynqTarget struct {
	e      *env
	opt    asynq.RedisClientOpt
	client *asynq.Client
}

func openAsynq(ctx context.Context, e *env) (target, error) {
	if err := e.flushRedis(ctx); err != nil {
		return nil, err
	}
	opt := asynq.RedisClientOpt{Addr: e.srv.redisAddr}
	return &asynqTarget{e: e, opt: opt, client: asynq.NewClient(opt)}, nil
}

func (t *asynqTarget) close() error { return t.client.Close() }

func (t *asynqTarget) enqueue(ctx context.Context, p payload) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.client.EnqueueContext(ctx, asynq.NewTask(kind, b))
	return err
}

// enqueueBatch: asynq has no batch enqueue.
func (t *asynqTarget) enqueueBatch(context.Context, []payload, bool) error { return errUnsupported }

// preload enqueues from 16 producers, asynq having no batch call.
func (t *asynqTarget) preload(ctx context.Context, n, _ int) error {
	_, err := enqueueFrom(ctx, t, n, 16)
	return err
}

type asynqRunner struct {
	srv     *asynq.Server
	insp    *asynq.Inspector
	handled *doneCounter
}

// wait waits for the handlers, then for asynq to have removed the tasks
// from its pending and active lists (it deletes a completed task after
// its handler returns).
func (r *asynqRunner) wait(ctx context.Context) error {
	if err := r.handled.wait(ctx); err != nil {
		return err
	}
	for {
		qi, err := r.insp.GetQueueInfo(asynqQueue)
		if err != nil {
			return err
		}
		if qi.Pending == 0 && qi.Active == 0 && qi.Retry == 0 && qi.Archived == 0 {
			return nil
		}
		if qi.Retry > 0 || qi.Archived > 0 {
			return fmt.Errorf("asynq: %d tasks to retry, %d archived", qi.Retry, qi.Archived)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// completed counts handlers that returned (asynq reports no completion
// event).
func (r *asynqRunner) completed() int64 { return r.handled.n.Load() }

func (r *asynqRunner) stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		r.srv.Shutdown()
		close(done)
	}()
	select {
	case <-done:
		return r.insp.Close()
	case <-ctx.Done():
		return errors.New("asynq: shutdown did not finish in time")
	}
}

func (t *asynqTarget) work(ctx context.Context, conc int, tuned bool, expect int, started func(time.Time)) (runner, error) {
	cfg := asynq.Config{Concurrency: conc, LogLevel: asynq.WarnLevel}
	if tuned {
		cfg.TaskCheckInterval = t.e.o.asynqCheck
	}
	srv := asynq.NewServer(t.opt, cfg)
	handled := newDoneCounter(expect)
	mux := asynq.NewServeMux()
	mux.HandleFunc(kind, func(_ context.Context, task *asynq.Task) error {
		if started != nil {
			var p payload
			if err := json.Unmarshal(task.Payload(), &p); err != nil {
				return err
			}
			sent, err := sentAt(p.T)
			if err != nil {
				return err
			}
			started(sent)
		}
		handled.add()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	return &asynqRunner{srv: srv, insp: asynq.NewInspector(t.opt), handled: handled}, nil
}
