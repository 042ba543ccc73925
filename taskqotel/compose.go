package taskqotel

import "github.com/taskq/taskq"

// compose returns the traced storage base with the optional capabilities
// of the storage it wraps: si, or, qp, fd and ss are nil when absent (a
// struct type per combination, so that a type assertion on the result
// finds exactly the capabilities of the wrapped storage). The
// QueuePauser, FinishedDeleter and ScheduleStore calls are traced too.
func compose(base *tracedStorage, si taskq.StorageIdentity, or taskq.OutboxRelay, qp taskq.QueuePauser,
	fd taskq.FinishedDeleter, ss taskq.ScheduleStore) taskq.StorageAdapter {
	ident, outbox, pause, finished, sched := si != nil, or != nil, qp != nil, fd != nil, ss != nil
	switch {
	case ident && outbox && pause && finished && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
			tracedFinished
			tracedSchedules
		}{base, si, or, pauserStorage{base, qp}, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case ident && outbox && pause && finished:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
			tracedFinished
		}{base, si, or, pauserStorage{base, qp}, tracedFinished{base, fd}}
	case ident && outbox && pause && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
			tracedSchedules
		}{base, si, or, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case ident && outbox && finished && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			tracedFinished
			tracedSchedules
		}{base, si, or, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case ident && pause && finished && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			pauserStorage
			tracedFinished
			tracedSchedules
		}{base, si, pauserStorage{base, qp}, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case outbox && pause && finished && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			pauserStorage
			tracedFinished
			tracedSchedules
		}{base, or, pauserStorage{base, qp}, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case ident && outbox && pause:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			pauserStorage
		}{base, si, or, pauserStorage{base, qp}}
	case ident && outbox && finished:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			tracedFinished
		}{base, si, or, tracedFinished{base, fd}}
	case ident && outbox && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			taskq.OutboxRelay
			tracedSchedules
		}{base, si, or, tracedSchedules{s: ss, st: base}}
	case ident && pause && finished:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			pauserStorage
			tracedFinished
		}{base, si, pauserStorage{base, qp}, tracedFinished{base, fd}}
	case ident && pause && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			pauserStorage
			tracedSchedules
		}{base, si, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case ident && finished && sched:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			tracedFinished
			tracedSchedules
		}{base, si, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case outbox && pause && finished:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			pauserStorage
			tracedFinished
		}{base, or, pauserStorage{base, qp}, tracedFinished{base, fd}}
	case outbox && pause && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			pauserStorage
			tracedSchedules
		}{base, or, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case outbox && finished && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			tracedFinished
			tracedSchedules
		}{base, or, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
	case pause && finished && sched:
		return struct {
			*tracedStorage
			pauserStorage
			tracedFinished
			tracedSchedules
		}{base, pauserStorage{base, qp}, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
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
	case ident && finished:
		return struct {
			*tracedStorage
			taskq.StorageIdentity
			tracedFinished
		}{base, si, tracedFinished{base, fd}}
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
	case outbox && finished:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			tracedFinished
		}{base, or, tracedFinished{base, fd}}
	case outbox && sched:
		return struct {
			*tracedStorage
			taskq.OutboxRelay
			tracedSchedules
		}{base, or, tracedSchedules{s: ss, st: base}}
	case pause && finished:
		return struct {
			*tracedStorage
			pauserStorage
			tracedFinished
		}{base, pauserStorage{base, qp}, tracedFinished{base, fd}}
	case pause && sched:
		return struct {
			*tracedStorage
			pauserStorage
			tracedSchedules
		}{base, pauserStorage{base, qp}, tracedSchedules{s: ss, st: base}}
	case finished && sched:
		return struct {
			*tracedStorage
			tracedFinished
			tracedSchedules
		}{base, tracedFinished{base, fd}, tracedSchedules{s: ss, st: base}}
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
	case finished:
		return struct {
			*tracedStorage
			tracedFinished
		}{base, tracedFinished{base, fd}}
	case sched:
		return struct {
			*tracedStorage
			tracedSchedules
		}{base, tracedSchedules{s: ss, st: base}}
	}
	return base
}
