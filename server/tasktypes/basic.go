package tasktypes

import (
	"context"
	"fmt"
	"time"

	"github.com/taskq/taskq"
)

// MaxSleep is the longest sleep the sleep type accepts (metadata.duration_ms).
const MaxSleep = 60 * time.Second

// MaxFlakyFailures bounds metadata.failures of the flaky type.
const MaxFlakyFailures = 100

// SleepType returns the sleep type: it sleeps metadata.duration_ms
// milliseconds (0 to 60000, default 0) and returns {"slept_ms": n}. It
// reports its progress (taskq.ReportProgress: "slept N of M ms") when it
// starts, every tenth of the duration and when done. It honours
// cancellation and timeouts: it returns as soon as its context ends.
func SleepType() Type {
	validate := func(md map[string]any) []taskq.FieldError {
		_, p := intParam(md, "duration_ms", 0, MaxSleep.Milliseconds(), 0)
		return collect(p)
	}
	return Type{
		Name:     Sleep,
		Validate: validate,
		Handler: taskq.HandlerFunc(func(ctx context.Context, t *taskq.Task) (any, error) {
			ms, p := intParam(t.Metadata, "duration_ms", 0, MaxSleep.Milliseconds(), 0)
			if p != nil {
				return nil, invalidMetadata(collect(p))
			}
			return sleep(ctx, ms)
		}),
	}
}

// FailType returns the fail type: it always fails. metadata.retryable
// (default true) false makes the failure permanent, so the task goes
// straight to the dead letter queue; metadata.message (optional) replaces
// the error message.
func FailType() Type {
	params := func(md map[string]any) (bool, string, []taskq.FieldError) {
		retryable, p1 := boolParam(md, "retryable", true)
		msg, p2 := stringParam(md, "message", taskq.MaxDescriptionLength, "failing as asked")
		return retryable, msg, collect(p1, p2)
	}
	return Type{
		Name: Fail,
		Validate: func(md map[string]any) []taskq.FieldError {
			_, _, ps := params(md)
			return ps
		},
		Handler: taskq.HandlerFunc(func(_ context.Context, t *taskq.Task) (any, error) {
			retryable, msg, ps := params(t.Metadata)
			if len(ps) > 0 {
				return nil, invalidMetadata(ps)
			}
			err := &taskq.Error{Code: taskq.CodeTaskExecutionFailed, Message: msg, Retryable: true}
			if !retryable {
				return nil, taskq.Permanent(err)
			}
			return nil, err
		}),
	}
}

// FlakyType returns the flaky type: it fails (retryably) its first
// metadata.failures attempts (0 to 100, default 1), then succeeds with
// {"ok": true, "attempts": n}. Attempts are counted by the engine
// (Task.Attempts), so the behaviour holds across workers and restarts.
func FlakyType() Type {
	validate := func(md map[string]any) []taskq.FieldError {
		_, p := intParam(md, "failures", 0, MaxFlakyFailures, 1)
		return collect(p)
	}
	return Type{
		Name:     Flaky,
		Validate: validate,
		Handler: taskq.HandlerFunc(func(_ context.Context, t *taskq.Task) (any, error) {
			n, p := intParam(t.Metadata, "failures", 0, MaxFlakyFailures, 1)
			if p != nil {
				return nil, invalidMetadata(collect(p))
			}
			if int64(t.Attempts) <= n {
				return nil, &taskq.Error{Code: taskq.CodeTaskExecutionFailed, Retryable: true,
					Message: fmt.Sprintf("planned failure %d of %d", t.Attempts, n)}
			}
			return map[string]any{"ok": true, "attempts": t.Attempts}, nil
		}),
	}
}

// sleep sleeps ms milliseconds, reporting its progress, unless ctx ends
// first.
func sleep(ctx context.Context, ms int64) (any, error) {
	report := func(pct int, slept int64) {
		_ = taskq.ReportProgress(ctx, pct, fmt.Sprintf("slept %d of %d ms", slept, ms))
	}
	done := map[string]any{"slept_ms": ms}
	if ms <= 0 {
		report(100, 0)
		return done, nil
	}
	total := time.Duration(ms) * time.Millisecond
	start := time.Now()
	report(0, 0)
	timer := time.NewTimer(total)
	defer timer.Stop()
	tick := time.NewTicker(max(total/10, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-timer.C:
			report(100, ms)
			return done, nil
		case <-tick.C:
			slept := time.Since(start)
			report(min(99, int(slept*100/total)), min(ms, slept.Milliseconds()))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
