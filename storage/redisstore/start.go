package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// start runs the start script and reads the records of ids in one
// transaction: MULTI, the script, one HGETALL per id, EXEC. The reads
// see the records as the script left them, and nothing else runs in
// between. All keys share the store's slot, so on a cluster the
// transaction goes to one node. Without the script on the server
// (NOSCRIPT: restarted, or a new node) it runs again with EVAL.
func (s *Store) start(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	const op = "start tasks"
	ids = distinct(ids)
	args := make([]string, 0, len(ids)+2)
	args = append(args, s.k.tag, encTime(now))
	args = append(args, ids...)
	res, err := s.startTx(ctx, ids, args, false)
	var re *rueidis.RedisError
	if errors.As(err, &re) && re.IsNoScript() {
		res, err = s.startTx(ctx, ids, args, true)
	}
	if err != nil {
		return nil, mapErr(ctx, op, err)
	}
	started, err := res[0].AsStrSlice()
	if err != nil {
		return nil, mapErr(ctx, op, err)
	}
	byID := make(map[string]int, len(ids))
	for i, id := range ids {
		byID[id] = i
	}
	out := make([]*taskq.Task, 0, len(started))
	for _, id := range started {
		i, ok := byID[id]
		if !ok {
			return nil, corrupt(id, errMalformedReply)
		}
		kv, err := hashPairs(res[1+i])
		if err != nil {
			return nil, corrupt(id, err)
		}
		if len(kv) == 0 {
			return nil, corrupt(id, errMalformedReply)
		}
		t, err := decodeTask(id, kv)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// startTx sends the start transaction and returns EXEC's replies: the
// script's, then one per HGETALL. The error is the script's own (a
// RedisError, NOSCRIPT among them) or the transaction's.
func (s *Store) startTx(ctx context.Context, ids, args []string, eval bool) ([]rueidis.RedisMessage, error) {
	b := s.client.B()
	cmds := make(rueidis.Commands, 0, len(ids)+3)
	cmds = append(cmds, b.Multi().Build(), luaStart.Cmd(b, eval, []string{s.k.all}, args))
	for _, id := range ids {
		cmds = append(cmds, b.Hgetall().Key(s.k.task(id)).Build())
	}
	cmds = append(cmds, b.Exec().Build())
	replies := s.client.DoMulti(ctx, cmds...)
	for _, r := range replies[:len(replies)-1] {
		// MULTI's OK and the QUEUED of each command; an error here (a
		// connection error, or a command the server refused to queue)
		// means EXEC did not run the transaction.
		if err := r.Error(); err != nil {
			return nil, err
		}
	}
	res, err := replies[len(replies)-1].ToArray()
	if err != nil {
		return nil, err
	}
	if len(res) != len(ids)+1 {
		return nil, corrupt("?", errMalformedReply)
	}
	if err := res[0].Error(); err != nil {
		return nil, err
	}
	return res, nil
}

// distinct returns ids without repeats, in their first order.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// hashPairs returns an HGETALL reply as field, value pairs: a map in
// RESP3, a flat array in RESP2.
func hashPairs(m rueidis.RedisMessage) ([]string, error) {
	if !m.IsMap() {
		return m.AsStrSlice()
	}
	fields, err := m.AsStrMap()
	if err != nil {
		return nil, err
	}
	kv := make([]string, 0, 2*len(fields))
	for k, v := range fields {
		kv = append(kv, k, v)
	}
	return kv, nil
}
