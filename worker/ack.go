package worker

import (
	"context"
	"time"

	"github.com/taskq/taskq"
)

// ack queues an acknowledgement of lease l; the ack loop sends them in
// batches. The queue acts on it only while l is still the id's lease.
func (w *Worker) ack(queue string, l taskq.Lease) {
	w.acks <- ackItem{queue: queue, lease: l}
}

// ackLoop batches acknowledgements: one Ack call per queue for everything
// that arrived while the previous call was in flight. Events queued behind
// acknowledgements are published once those are sent.
func (w *Worker) ackLoop() {
	defer w.ackWG.Done()
	batch := map[string][]taskq.Lease{}
	var evs []taskq.Event
	add := func(it ackItem) {
		if it.ev != nil {
			evs = append(evs, *it.ev)
			return
		}
		batch[it.queue] = append(batch[it.queue], it.lease)
	}
	for it := range w.acks {
		add(it)
		n := 1
	drain:
		for n < 1024 {
			select {
			case it, ok := <-w.acks:
				if !ok {
					break drain
				}
				add(it)
				n++
			default:
				break drain
			}
		}
		for q, leases := range batch {
			w.ackNow(q, leases)
			delete(batch, q)
		}
		for i, ev := range evs {
			w.emit(ev)
			evs[i] = taskq.Event{}
		}
		evs = evs[:0]
	}
}

func (w *Worker) ackNow(queue string, leases []taskq.Lease) {
	delay := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		// No timer of our own: the backends bound their calls.
		err := w.queue.Ack(context.Background(), queue, leases...)
		if err == nil {
			return
		}
		if attempt == 3 {
			// The leases expire; the reaper finds the records terminal and
			// acknowledges them then.
			w.log.Warn("ack failed; the reaper will settle these leases", "queue", queue, "count", len(leases), "error", err)
			return
		}
		time.Sleep(delay)
		delay *= 4
	}
}
