package redisstore

import (
	"context"
	"slices"

	"github.com/taskq/taskq"
)

// PauseQueue pauses queue (taskq.QueuePauser): a member of the set
// {prefix}:paused.
func (s *Store) PauseQueue(ctx context.Context, queue string) error {
	if err := s.check(); err != nil {
		return err
	}
	if queue == "" {
		return invalid("empty queue name")
	}
	return mapErr(ctx, "pause queue", s.client.Do(ctx, s.client.B().Sadd().Key(s.k.paused).Member(queue).Build()).Error())
}

// ResumeQueue resumes queue (taskq.QueuePauser).
func (s *Store) ResumeQueue(ctx context.Context, queue string) error {
	if err := s.check(); err != nil {
		return err
	}
	return mapErr(ctx, "resume queue", s.client.Do(ctx, s.client.B().Srem().Key(s.k.paused).Member(queue).Build()).Error())
}

// PausedQueues lists the paused queues, sorted (taskq.QueuePauser).
func (s *Store) PausedQueues(ctx context.Context) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out, err := s.client.Do(ctx, s.client.B().Smembers().Key(s.k.paused).Build()).AsStrSlice()
	if err != nil {
		return nil, mapErr(ctx, "paused queues", err)
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

var _ taskq.QueuePauser = (*Store)(nil)
