package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// createArgs appends the script arguments of one task.
func createArgs(args []string, e encoded) []string {
	args = append(args, e.id, e.status, e.typ, e.queue, e.owner, e.idemKey, e.dk, e.entry, strconv.Itoa(len(e.fields)/2))
	return append(args, e.fields...)
}

// CreateTask stores a new record in one script (record, indexes and
// idempotency key together; concurrent calls share one, see creates.go)
// and returns it as GetTask returns it. A task
// whose id or (owner, idempotency key) exists is not stored: the existing
// one is returned with an error matching taskq.ErrDuplicate.
func (s *Store) CreateTask(ctx context.Context, t *taskq.Task) (*taskq.Task, error) {
	const op = "create task"
	if err := s.check(); err != nil {
		return nil, err
	}
	e, err := s.encodeTask(t, true)
	if err != nil {
		return nil, err
	}
	var res []rueidis.RedisMessage
	if t.UniqueKey != "" {
		res, err = s.exec(ctx, s.scripts().unique, createArgs([]string{"1"}, e)).ToArray()
		if err != nil {
			return nil, mapErr(ctx, op, err)
		}
	} else {
		// Merged with concurrent creates (creates.go).
		if err := ctx.Err(); err != nil {
			return nil, mapErr(ctx, op, err)
		}
		reply, err := s.creates.Do(ctx, createArgs(nil, e))
		if err != nil {
			if ctx.Err() != nil {
				return nil, mapErr(ctx, op, err)
			}
			return nil, err // mapped by sendMerged
		}
		if res, err = reply.ToArray(); err != nil || len(res) < 1 {
			return nil, corrupt(t.ID, errMalformedReply)
		}
	}
	if ok, _ := res[0].AsInt64(); ok == 1 {
		return decodeCreated(e)
	}
	cur, err := decodeRecord(res[1])
	if err != nil {
		return nil, err
	}
	return cur, duplicateOf(res, cur.ID)
}

// CreateTasks stores many records in one script, all or nothing: a
// duplicate id or idempotency key, in the store or inside the batch,
// stores none of them.
func (s *Store) CreateTasks(ctx context.Context, ts []*taskq.Task) error {
	const op = "create tasks"
	if err := s.check(); err != nil {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	args := []string{strconv.Itoa(len(ts))}
	ids := make(map[string]struct{}, len(ts))
	idem := make(map[[2]string]struct{})
	for _, t := range ts {
		e, err := s.encodeTask(t, false)
		if err != nil {
			return err
		}
		if _, dup := ids[e.id]; dup {
			return duplicate(e.id)
		}
		ids[e.id] = struct{}{}
		if e.idemKey != "" {
			k := [2]string{e.owner, e.idemKey}
			if _, dup := idem[k]; dup {
				return duplicate(e.id)
			}
			idem[k] = struct{}{}
		}
		args = createArgs(args, e)
	}
	if err := uniqueTwice(ts); err != nil {
		return err
	}
	res, err := s.exec(ctx, s.scripts().createLua(ts...), args).ToArray()
	if err != nil {
		return mapErr(ctx, op, err)
	}
	if ok, _ := res[0].AsInt64(); ok == 1 {
		return nil
	}
	cur, err := decodeRecord(res[1])
	if err != nil {
		return err
	}
	return duplicateOf(res, cur.ID)
}

// GetTask returns the record, or an error matching taskq.ErrNotFound.
func (s *Store) GetTask(ctx context.Context, id string) (*taskq.Task, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, notFound("task", id)
	}
	r, err := s.client.Do(ctx, s.client.B().Hgetall().Key(s.k.task(id)).Build()).ToMessage()
	if err != nil {
		return nil, mapErr(ctx, "get task", err)
	}
	kv, err := hashPairs(r)
	if err != nil {
		return nil, mapErr(ctx, "get task", err)
	}
	if len(kv) == 0 {
		return nil, notFound("task", id)
	}
	return decodeTask(id, kv)
}

// UpdateTask overwrites the mutable fields of record t.ID when its status is
// one of expect (any when expect is empty), in one script that also moves
// the task between the status indexes and in or out of the DLQ index. A
// missing record gives an error matching taskq.ErrNotFound, a failed
// precondition one matching taskq.ErrConflict.
func (s *Store) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) error {
	if err := s.check(); err != nil {
		return err
	}
	if t == nil || t.ID == "" {
		return invalid("task without id")
	}
	exp := make([]string, len(expect))
	for i, st := range expect {
		exp[i] = string(st)
	}
	_, err := s.update(ctx, "update task", t, "u", strings.Join(exp, ","))
	return err
}

// UpdateAttempt overwrites the mutable fields of record t.ID while it is
// running attempt number attempt, in the same script as UpdateTask; see
// taskq.StorageAdapter.
func (s *Store) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) error {
	if err := s.check(); err != nil {
		return err
	}
	if t == nil || t.ID == "" {
		return invalid("task without id")
	}
	_, err := s.update(ctx, "update attempt", t, "a", strconv.Itoa(attempt))
	return err
}

// update runs one update of t in mode "u", "a" or "m" (see updateBody)
// and returns the number of evicted DLQ entries. UpdateTask and
// UpdateAttempt share script calls with concurrent callers (updates.go); a
// move to the DLQ, which may evict, runs alone.
func (s *Store) update(ctx context.Context, op string, t *taskq.Task, mode, cond string) (int, error) {
	m, err := s.mutableOf(t)
	if err != nil {
		return 0, err
	}
	pairs, _ := encodeMutable(t, m)
	args := updateArgs(t, pairs, mode, cond)
	var reply rueidis.RedisMessage
	if mode == "m" {
		var res []rueidis.RedisMessage
		res, err = s.exec(ctx, s.scripts().update, append([]string{"1"}, args...)).ToArray()
		if err == nil && len(res) != 1 {
			return 0, corrupt(t.ID, errMalformedReply)
		}
		if err != nil {
			return 0, mapErr(ctx, op, err)
		}
		reply = res[0]
	} else if reply, err = s.updateMerged(ctx, args); err != nil {
		if ctx.Err() != nil {
			return 0, mapErr(ctx, op, err)
		}
		return 0, err // mapped by flushUpdates
	}
	res, err := reply.ToArray()
	if err != nil || len(res) < 1 {
		return 0, corrupt(t.ID, errMalformedReply)
	}
	switch code, _ := res[0].AsInt64(); code {
	case 0:
		return 0, notFound("task", t.ID)
	case 2:
		st, _ := res[1].ToString()
		return 0, conflict(t.ID, st)
	}
	n, _ := res[1].AsInt64()
	for _, r := range res[2:] {
		o, _ := r.ToString()
		s.evictions.Add(o, 1)
	}
	return int(n), nil
}

// StartTasks marks the pending, failed or running records among ids as
// running at now (the clock when zero), increments their attempts and
// returns them, in the order of ids, in one script. Missing and terminal
// records, and repeated ids, are left out.
func (s *Store) StartTasks(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*taskq.Task{}, nil
	}
	if now.IsZero() {
		now = s.now()
	}
	return s.start(ctx, ids, now)
}

// DeleteTask removes a record and its index entries for good, or returns
// an error matching taskq.ErrNotFound.
func (s *Store) DeleteTask(ctx context.Context, id string) error {
	return s.purge(ctx, "delete task", "task", id, "")
}

func (s *Store) purge(ctx context.Context, op, what, id, mode string) error {
	if err := s.check(); err != nil {
		return err
	}
	if id == "" {
		return notFound(what, id)
	}
	n, err := s.exec(ctx, s.scripts().delete, []string{id, mode}).AsInt64()
	if err != nil {
		return mapErr(ctx, op, err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}
