package taskq

import "time"

// Limits are flow-control caps enforced by the Queue when it leases, so
// they hold across every worker sharing the backend: Lease leaves an entry
// in place, ready and in its position, while its queue or its type is at
// its cap, and takes it once a slot frees up. A capped task waits; it does
// not use a retry.
//
// Caps count the leases of one queue: a type's cap is the most leases of
// tasks of that type held at once in the queue, by all consumers together
// (on Redis Cluster every key of a queue lives in one slot, so a count
// spanning queues cannot be kept atomically there; give a capped type one
// queue). A lease counts from Lease until Ack, Requeue or Remove ends it;
// an expired lease counts until Reap hands it to the reaper, which then
// requeues or finishes the task.
//
// Limits are given with every Lease (LeaseParams.Limits); the counts and
// the rate state live on the backend. Consumers configured alike enforce
// the same caps; a consumer with a smaller cap holds itself to it against
// the same shared counts.
type Limits struct {
	// QueueConcurrency caps the leases held at once in a queue, by queue
	// name. Zero or absent: no cap.
	QueueConcurrency map[string]int
	// TypeConcurrency caps the leases of tasks of a type held at once in
	// one queue, by task type. Zero or absent: no cap.
	TypeConcurrency map[string]int
	// TypeRate caps how fast tasks of a type start (are leased) in one
	// queue, by task type.
	TypeRate map[string]Rate
}

// Rate is a start rate: at most N starts per Per on average, with bursts
// of up to N (a token bucket holding N tokens, refilled at N per Per).
type Rate struct {
	// N is the number of starts per period; zero means no limit.
	N int
	// Per is the period.
	Per time.Duration
}

// Validate checks that no cap or rate is negative and every rate names a
// period.
func (l *Limits) Validate() error {
	if l == nil {
		return nil
	}
	for q, n := range l.QueueConcurrency {
		if n < 0 {
			return Errorf(CodeInvalidInput, "limits: queue %q concurrency %d is negative", q, n)
		}
	}
	for t, n := range l.TypeConcurrency {
		if n < 0 {
			return Errorf(CodeInvalidInput, "limits: type %q concurrency %d is negative", t, n)
		}
	}
	for t, r := range l.TypeRate {
		if r.N < 0 || r.N > 0 && r.Per <= 0 {
			return Errorf(CodeInvalidInput, "limits: type %q rate %d per %s is invalid", t, r.N, r.Per)
		}
	}
	return nil
}

// Empty reports whether l caps nothing.
func (l *Limits) Empty() bool {
	return l == nil || len(l.QueueConcurrency) == 0 && len(l.TypeConcurrency) == 0 && len(l.TypeRate) == 0
}
