package redisqueue

import (
	"context"
	"math/rand/v2"
	"strconv"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/flow"
)

// leaseLimited is Lease under p.Limits, in one script call: the caps are
// checked against the counts and token buckets kept in the queue's keys,
// so every consumer of the queue sees the same counts.
func (q *Queue) leaseLimited(ctx context.Context, k queueKeys, p taskq.LeaseParams, now string, ttl int64) ([]taskq.Lease, error) {
	args := []string{now, strconv.Itoa(p.Max), strconv.FormatInt(ttl, 10),
		strconv.Itoa(q.cfg.PromoteBatch), strconv.FormatInt(1+rand.Int64N(2147483646), 10),
		strconv.Itoa(q.cfg.LimitScan), strconv.Itoa(flow.QueueCap(p.Limits, p.Queue))}
	if p.Weights != nil {
		args = append(args, "w")
	} else {
		args = append(args, "s")
	}
	for i := range taskq.NumPriorities {
		w := 0
		if i < len(p.Weights) {
			w = max(0, p.Weights[i])
		}
		args = append(args, strconv.Itoa(w))
	}
	for _, typ := range flow.Typed(p.Limits) {
		r, _ := flow.TypeRate(p.Limits, typ)
		n, per := 0, int64(0)
		if flow.RateActive(r) {
			n, per = r.N, max(1, r.Per.Milliseconds())
		}
		args = append(args, typ, strconv.Itoa(flow.TypeCap(p.Limits, typ)), strconv.Itoa(n), strconv.FormatInt(per, 10))
	}
	res := luaLeaseLimited.Exec(ctx, q.client, k.keys, args)
	leases, err := parseLeases(res, ttl)
	if err != nil {
		return nil, mapErr(ctx, "lease", err)
	}
	return leases, nil
}
