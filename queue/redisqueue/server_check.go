package redisqueue

import (
	"context"
	"strings"

	"github.com/redis/rueidis"

	"github.com/taskq/taskq"
)

// ErrEvictingPolicy says the Redis server may evict keys under memory
// pressure: a queue whose ready sets or leases are evicted loses tasks or
// runs them twice. Configure `maxmemory-policy noeviction`.
var ErrEvictingPolicy = &taskq.Error{Code: taskq.CodeInternal,
	Message: "redis maxmemory-policy evicts keys: set maxmemory-policy noeviction (an evicted ready set or lease loses or repeats tasks)"}

// CheckServer checks the server's settings that the queue's guarantees rest
// on: maxmemory-policy must not evict keys without a TTL (allkeys-* evicts
// any key; volatile-* and noeviction never touch the queue's keys, which
// have no TTL). It returns an error wrapping ErrEvictingPolicy, naming the
// policy, for an allkeys-* policy. A server that refuses CONFIG GET (some
// managed services) is not an error: the check is skipped and reported as
// unknown. On a cluster every node answers through one node only; check
// each node's configuration in your deployment tooling too.
func (q *Queue) CheckServer(ctx context.Context) (policy string, err error) {
	if q.closed.Load() {
		return "", errClosed
	}
	res, err := q.client.Do(ctx, q.client.B().ConfigGet().Parameter("maxmemory-policy").Build()).AsStrMap()
	if err != nil {
		if _, reply := rueidis.IsRedisErr(err); !reply || ctx.Err() != nil {
			return "", mapErr(ctx, "check server", err)
		}
		return "unknown", nil // an error reply: CONFIG disabled or renamed
	}
	policy = res["maxmemory-policy"]
	if strings.HasPrefix(policy, "allkeys-") {
		return policy, &taskq.Error{Code: ErrEvictingPolicy.Code, Message: "redis maxmemory-policy is " + policy + ": " + ErrEvictingPolicy.Message, Err: ErrEvictingPolicy}
	}
	return policy, nil
}
