package worker

import "github.com/taskq/taskq"

// relayOutbox runs the storage's outbox relay (taskq.OutboxRelay) until
// the worker stops: tasks created inside transactions of the storage reach
// the queue once those commit.
func (w *Worker) relayOutbox(r taskq.OutboxRelay) {
	defer w.bgWG.Done()
	if err := r.RelayOutbox(w.bgCtx, w.queue); err != nil && w.bgCtx.Err() == nil {
		w.log.Warn("outbox relay stopped", "error", err)
	}
}
