package taskqotel

import "github.com/taskq/taskq"

// tracedInner is implemented by the queues Tracer.Queue returns (through
// the embedded *tracedQueue): it gives the queue they wrap.
type tracedInner interface{ tracedInner() taskq.Queue }

func (q *tracedQueue) tracedInner() taskq.Queue { return q.q }

// untraced returns the queue under any number of Tracer.Queue wrappers.
func untraced(q taskq.Queue) taskq.Queue {
	for {
		w, ok := q.(tracedInner)
		if !ok {
			return q
		}
		q = w.tracedInner()
	}
}

// Dispatches implements taskq.Dispatcher for every traced storage: it asks
// the wrapped storage about the queue under its tracing wrappers, and
// answers false when that storage does not dispatch (what a Client
// assumes of a storage without the capability). Without it, a Client over
// a traced store and queue would push every created task's entry a second
// time.
func (s *tracedStorage) Dispatches(q taskq.Queue) bool {
	d, ok := s.s.(taskq.Dispatcher)
	return ok && d.Dispatches(untraced(q))
}
