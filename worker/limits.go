package worker

import (
	"context"
	"time"
)

// idle waits after a Lease that found nothing to take. Wait returns at
// once while the queue has ready entries, which is also the case when
// every ready entry is held back by Config.Limits; the caps free up when
// some worker ends a lease, which nothing announces, so with Limits the
// fetcher then looks again only after Config.LimitPoll when Wait came
// back at once (within a tenth of it), having waited for nothing.
func (w *Worker) idle(ctx context.Context, queue string) {
	start := time.Now()
	_ = w.queue.Wait(ctx, queue, w.cfg.PollInterval)
	if w.cfg.Limits.Empty() {
		return
	}
	if took := time.Since(start); took < w.cfg.LimitPoll/10 {
		sleepCtx(ctx, w.cfg.LimitPoll-took)
	}
}
