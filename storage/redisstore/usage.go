package redisstore

import (
	"context"
	"strconv"

	"github.com/taskq/taskq"
)

// Usage returns the usage of owner (taskq.OwnerUsage): three fields of one
// hash, kept by the scripts in the same step as every change.
func (s *Store) Usage(ctx context.Context, owner string) (taskq.Usage, error) {
	if err := s.check(); err != nil {
		return taskq.Usage{}, err
	}
	vs, err := s.client.Do(ctx, s.client.B().Hmget().Key(s.k.usage).
		Field("a:"+owner, "m:"+owner, "d:"+owner).Build()).ToArray()
	if err != nil {
		return taskq.Usage{}, mapErr(ctx, "owner usage", err)
	}
	n := func(i int) int64 {
		if i >= len(vs) {
			return 0
		}
		str, err := vs[i].ToString()
		if err != nil {
			return 0 // nil: a zero counter is deleted
		}
		v, _ := strconv.ParseInt(str, 10, 64)
		return v
	}
	return taskq.Usage{Pending: n(0), MetadataBytes: n(1), DeadLetter: n(2)}, nil
}

// TakeDeadLetterEvictions returns the entries the size cap evicted per
// owner since the previous call (taskq.DeadLetterEvictions), counted by
// this Store (other processes count their own).
func (s *Store) TakeDeadLetterEvictions() map[string]int { return s.evictions.Take() }
