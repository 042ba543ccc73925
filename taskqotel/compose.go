package taskqotel

import "github.com/taskq/taskq"

// compose returns the traced storage base with the optional capabilities
// of the storage it wraps: si, or, qp and ss are nil when absent (a
// struct type per combination, so that a type assertion on the result
// finds exactly the capabilities of the wrapped storage). The
// QueuePauser and ScheduleStore calls are traced too.
func compose(base *tracedStorage, si taskq.StorageIdentity, or taskq.OutboxRelay, qp taskq.QueuePauser, ss taskq.ScheduleStore) taskq.StorageAdapter {
	ident, outbox, pause, sched := si != nil, or != nil, qp != nil, ss != nil
	switch {
	case ident && outbox && pause && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
			tracedSchedules
		}{base, si, or, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case ident && outbox && pause:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
		}{base, si, or, pauserStorage{base, qp}}
	case ident && outbox && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			tracedSchedules
		}{base, si, or, tracedSchedules{s: ss, st: base}}
	case ident && pause && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			pauserStorage
			tracedSchedules
		}{base, si, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case outbox && pause && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			pauserStorage
			tracedSchedules
		}{base, or, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case ident && outbox:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
		}{base, si, or}
	case ident && pause:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			pauserStorage
		}{base, si, pauserStorage{base, qp}}
	case ident && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			tracedSchedules
		}{base, si, tracedSchedules{s: ss, st: base}}
	case outbox && pause:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			pauserStorage
		}{base, or, pauserStorage{base, qp}}
	case outbox && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			tracedSchedules
		}{base, or, tracedSchedules{s: ss, st: base}}
	case pause && sched:
		return struct {
			*tracedStorage
			pauserStorage
			tracedSchedules
		}{base, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case ident:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
		}{base, si}
	case outbox:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
		}{base, or}
	case pause:
		return struct {
			*tracedStorage
			pauserStorage
		}{base, pauserStorage{base, qp}}
	case sched:
		return struct {
			*tracedStorage
			tracedSchedules
		}{base, tracedSchedules{s: ss, st: base}}
	}
	return base
}
