package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestLoseMatchesTheLease: a lost-lease report about an earlier lease of
// an id (a slow heartbeat reply) does not cancel the handler of the id's
// newer lease, and a report about the current lease does.
func TestLoseMatchesTheLease(t *testing.T) {
	h := &heldSet{m: map[string]*heldLease{}}
	now := time.Now()
	old := taskq.Lease{ID: "a", Token: 1}
	h.addAll("q", []taskq.Lease{old}, now, now.Add(time.Hour))
	cur := h.addAll("q", []taskq.Lease{{ID: "a", Token: 2}}, now, now.Add(time.Hour))[0]
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	require.NoError(t, h.begin(cur))
	require.NoError(t, h.setCancel(cur, attemptCancel{fn: cancel}))

	h.lose("q", old, taskq.ErrLeaseLost)
	require.NoError(t, ctx.Err(), "a report about the old lease cancelled the new one")
	h.lose("other", cur.lease, taskq.ErrLeaseLost)
	require.NoError(t, ctx.Err(), "a report about another queue cancelled the lease")

	h.lose("q", cur.lease, taskq.ErrTaskCancelled)
	require.ErrorIs(t, context.Cause(ctx), taskq.ErrTaskCancelled)
}

// TestRenewMatchesTheLease: a heartbeat that extended an earlier lease of
// an id does not renew the validity of the id's newer lease.
func TestRenewMatchesTheLease(t *testing.T) {
	h := &heldSet{m: map[string]*heldLease{}}
	now := time.Now()
	cur := h.addAll("q", []taskq.Lease{{ID: "a", Token: 2}}, now, now.Add(time.Second))[0]
	h.renew("q", []taskq.Lease{{ID: "a", Token: 1}}, now.Add(time.Hour))
	require.Equal(t, now.Add(time.Second), h.validUntil(cur))
	h.renew("q", []taskq.Lease{cur.lease}, now.Add(time.Hour))
	require.Equal(t, now.Add(time.Hour), h.validUntil(cur))
}

// TestExpireFences: once a lease's validity ended by the worker's clock,
// its running handler is cancelled with taskq.ErrLeaseLost and a handler
// not started yet does not start.
func TestExpireFences(t *testing.T) {
	h := &heldSet{m: map[string]*heldLease{}}
	now := time.Now()
	ls := h.addAll("q", []taskq.Lease{{ID: "run", Token: 1}, {ID: "wait", Token: 2}}, now, now.Add(time.Minute))
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	require.NoError(t, h.begin(ls[0]))
	require.NoError(t, h.setCancel(ls[0], attemptCancel{fn: cancel}))
	require.Zero(t, h.expire(now))
	require.NoError(t, ctx.Err())
	require.Equal(t, 1, h.expire(now.Add(time.Minute)))
	require.Equal(t, taskq.ErrLeaseLost, context.Cause(ctx))
	require.ErrorIs(t, h.begin(ls[1]), taskq.ErrLeaseLost)
}
