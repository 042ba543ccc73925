package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// CountTasks returns the record counts by queue, type and status
// (taskq.StatusCounter): the hash {prefix}:counts, which the scripts keep
// in the step of every change, then for each queue with pending tasks the
// first member of its pending zset ({prefix}:pq:<queue>, scored by run-at)
// due at now. That is one round trip plus one per such queue (pipelined),
// whatever the number of records. Counts start with the version that
// introduced them: records written by an earlier version are not counted.
func (s *Store) CountTasks(ctx context.Context, now time.Time) (taskq.TaskCounts, error) {
	if err := s.check(); err != nil {
		return taskq.TaskCounts{}, err
	}
	m, err := s.client.Do(ctx, s.client.B().Hgetall().Key(s.k.tag+":counts").Build()).AsStrMap()
	if err != nil {
		return taskq.TaskCounts{}, mapErr(ctx, "count tasks", err)
	}
	out := taskq.TaskCounts{Counts: make([]taskq.TaskCount, 0, len(m)), OldestPending: map[string]time.Time{}}
	var queues []string
	for f, v := range m {
		c, ok := parseCountField(f)
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || n <= 0 {
			continue
		}
		c.Count = n
		out.Counts = append(out.Counts, c)
		if c.Status == taskq.StatusPending {
			queues = append(queues, c.Queue)
		}
	}
	out.Sort()
	if len(queues) == 0 {
		return out, nil
	}
	max := strconv.FormatInt(now.UnixMicro(), 10)
	cmds := make(rueidis.Commands, len(queues))
	for i, q := range queues {
		cmds[i] = s.client.B().Zrange().Key(s.k.tag+":pq:"+q).Min("-inf").Max(max).Byscore().Limit(0, 1).Withscores().Build()
	}
	seen := map[string]bool{}
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		zs, err := r.AsZScores()
		if err != nil {
			return taskq.TaskCounts{}, mapErr(ctx, "count tasks", err)
		}
		q := queues[i]
		if len(zs) == 0 || seen[q] {
			continue
		}
		seen[q] = true
		out.OldestPending[q] = time.UnixMicro(int64(zs[0].Score)).UTC()
	}
	return out, nil
}

// parseCountField splits a field of {prefix}:counts: len(queue):queue
// len(type):type status.
func parseCountField(f string) (taskq.TaskCount, bool) {
	var c taskq.TaskCount
	q, rest, ok := lenPrefixed(f)
	if !ok {
		return c, false
	}
	y, st, ok := lenPrefixed(rest)
	if !ok || !taskq.TaskStatus(st).Valid() {
		return c, false
	}
	c.Queue, c.Type, c.Status = q, y, taskq.TaskStatus(st)
	return c, true
}

func lenPrefixed(s string) (v, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 0 || i+1+n > len(s) {
		return "", "", false
	}
	return s[i+1 : i+1+n], s[i+1+n:], true
}

var _ taskq.StatusCounter = (*Store)(nil)
