package taskqotel

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/taskq/taskq"
)

// Storage returns s with a client span around each call
// ("taskq.storage.<Method>") except Ping. taskq.StorageIdentity,
// taskq.OutboxRelay, taskq.QueuePauser, taskq.FinishedDeleter and
// taskq.ScheduleStore (the last three traced too) are kept when s has
// them, and taskq.Dispatcher is answered by s (false when s does not
// have it), seeing through the queues Tracer.Queue wraps.
// The result always implements taskq.StatusCounter: for a storage that
// cannot count it answers taskq.ErrNoCounts, which is what
// taskq.Client.QueueStats answers for such a storage itself. It always
// implements taskq.ProgressWriter too: for a storage that cannot store
// progress it answers an error matching errors.ErrUnsupported, on which
// workers stop writing the attempt's progress.
func (t *Tracer) Storage(s taskq.StorageAdapter) taskq.StorageAdapter {
	base := &tracedStorage{s: s, t: t, backend: fmt.Sprintf("%T", s)}
	si, _ := s.(taskq.StorageIdentity)
	or, _ := s.(taskq.OutboxRelay)
	qp, _ := s.(taskq.QueuePauser)
	fd, _ := s.(taskq.FinishedDeleter)
	ss, _ := s.(taskq.ScheduleStore)
	return compose(base, si, or, qp, fd, ss)
}

// pauserStorage traces the taskq.QueuePauser calls of a storage.
type pauserStorage struct {
	ts *tracedStorage
	p  taskq.QueuePauser
}

func (s pauserStorage) PauseQueue(ctx context.Context, queue string) (err error) {
	ctx, done := s.ts.span(ctx, "PauseQueue", AttrQueue.String(queue))
	defer func() { done(err) }()
	return s.p.PauseQueue(ctx, queue)
}

func (s pauserStorage) ResumeQueue(ctx context.Context, queue string) (err error) {
	ctx, done := s.ts.span(ctx, "ResumeQueue", AttrQueue.String(queue))
	defer func() { done(err) }()
	return s.p.ResumeQueue(ctx, queue)
}

func (s pauserStorage) PausedQueues(ctx context.Context) (_ []string, err error) {
	ctx, done := s.ts.span(ctx, "PausedQueues")
	defer func() { done(err) }()
	return s.p.PausedQueues(ctx)
}

type tracedStorage struct {
	s       taskq.StorageAdapter
	t       *Tracer
	backend string
}

func (s *tracedStorage) span(ctx context.Context, op string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	ctx, span := s.t.backendSpan(ctx, "taskq.storage."+op, s.backend, attrs...)
	return ctx, func(err error) { end(span, err) }
}

func (s *tracedStorage) CreateTask(ctx context.Context, t *taskq.Task) (_ *taskq.Task, err error) {
	ctx, done := s.span(ctx, "CreateTask", AttrTaskID.String(t.ID))
	defer func() { done(err) }()
	return s.s.CreateTask(ctx, t)
}

func (s *tracedStorage) CreateTasks(ctx context.Context, ts []*taskq.Task) (err error) {
	ctx, done := s.span(ctx, "CreateTasks", AttrBatchSize.Int(len(ts)))
	defer func() { done(err) }()
	return s.s.CreateTasks(ctx, ts)
}

func (s *tracedStorage) GetTask(ctx context.Context, id string) (_ *taskq.Task, err error) {
	ctx, done := s.span(ctx, "GetTask", AttrTaskID.String(id))
	defer func() { done(err) }()
	return s.s.GetTask(ctx, id)
}

func (s *tracedStorage) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) (err error) {
	ctx, done := s.span(ctx, "UpdateTask", AttrTaskID.String(t.ID))
	defer func() { done(err) }()
	return s.s.UpdateTask(ctx, t, expect...)
}

func (s *tracedStorage) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) (err error) {
	ctx, done := s.span(ctx, "UpdateAttempt", AttrTaskID.String(t.ID))
	defer func() { done(err) }()
	return s.s.UpdateAttempt(ctx, t, attempt)
}

func (s *tracedStorage) StartTasks(ctx context.Context, ids []string, now time.Time) (_ []*taskq.Task, err error) {
	ctx, done := s.span(ctx, "StartTasks", AttrBatchSize.Int(len(ids)))
	defer func() { done(err) }()
	return s.s.StartTasks(ctx, ids, now)
}

func (s *tracedStorage) ListTasks(ctx context.Context, f taskq.TaskFilter) (_ taskq.TaskPage, err error) {
	ctx, done := s.span(ctx, "ListTasks")
	defer func() { done(err) }()
	return s.s.ListTasks(ctx, f)
}

func (s *tracedStorage) DeleteTask(ctx context.Context, id string) (err error) {
	ctx, done := s.span(ctx, "DeleteTask", AttrTaskID.String(id))
	defer func() { done(err) }()
	return s.s.DeleteTask(ctx, id)
}

func (s *tracedStorage) GetDeadLetterTasks(ctx context.Context, f taskq.DeadLetterFilter) (_ taskq.TaskPage, err error) {
	ctx, done := s.span(ctx, "GetDeadLetterTasks")
	defer func() { done(err) }()
	return s.s.GetDeadLetterTasks(ctx, f)
}

func (s *tracedStorage) GetDeadLetterTask(ctx context.Context, id string) (_ *taskq.Task, err error) {
	ctx, done := s.span(ctx, "GetDeadLetterTask", AttrTaskID.String(id))
	defer func() { done(err) }()
	return s.s.GetDeadLetterTask(ctx, id)
}

func (s *tracedStorage) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (_ int, err error) {
	ctx, done := s.span(ctx, "MoveTaskToDeadLetter", AttrTaskID.String(t.ID))
	defer func() { done(err) }()
	return s.s.MoveTaskToDeadLetter(ctx, t, maxSize)
}

func (s *tracedStorage) RemoveFromDeadLetter(ctx context.Context, id string) (err error) {
	ctx, done := s.span(ctx, "RemoveFromDeadLetter", AttrTaskID.String(id))
	defer func() { done(err) }()
	return s.s.RemoveFromDeadLetter(ctx, id)
}

func (s *tracedStorage) CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (_ int, err error) {
	ctx, done := s.span(ctx, "CleanupDeadLetterTasks")
	defer func() { done(err) }()
	return s.s.CleanupDeadLetterTasks(ctx, threshold)
}

func (s *tracedStorage) CountDeadLetterTasks(ctx context.Context) (_ int, err error) {
	ctx, done := s.span(ctx, "CountDeadLetterTasks")
	defer func() { done(err) }()
	return s.s.CountDeadLetterTasks(ctx)
}

func (s *tracedStorage) Ping(ctx context.Context) error { return s.s.Ping(ctx) }

func (s *tracedStorage) Close() error { return s.s.Close() }
