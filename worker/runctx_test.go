package worker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestRunnerCtxReusedAndFenced: a runner's attempts share its context
// until one is cancelled; the cancel handle of an attempt that ended does
// nothing to the next attempt (the held lease set may call it late).
func TestRunnerCtxReusedAndFenced(t *testing.T) {
	rc := &runnerCtx{}
	ctx1, c1 := rc.begin(context.Background())
	rc.done(c1)
	ctx2, c2 := rc.begin(context.Background())
	require.Equal(t, ctx1, ctx2, "an attempt that was not cancelled leaves the context to the next")

	c1.call(taskq.ErrLeaseLost) // late, for the attempt that ended
	require.NoError(t, ctx2.Err(), "a late cancel of an ended attempt cancelled the next one")

	c2.call(taskq.ErrTaskCancelled)
	require.ErrorIs(t, context.Cause(ctx2), taskq.ErrTaskCancelled)
	rc.done(c2)
	ctx3, c3 := rc.begin(context.Background())
	require.NoError(t, ctx3.Err(), "a cancelled context is replaced")
	c3.call(taskq.ErrShutdown)
	require.ErrorIs(t, context.Cause(ctx3), taskq.ErrShutdown)
	rc.done(c3)
}

// TestRunnerCtxOwnParent: an attempt with a parent of its own (its span)
// gets a context of its own, cancelled by done.
func TestRunnerCtxOwnParent(t *testing.T) {
	type key struct{}
	rc := &runnerCtx{}
	parent := context.WithValue(context.Background(), key{}, "span")
	ctx, c := rc.begin(parent)
	require.Equal(t, "span", ctx.Value(key{}))
	c.call(taskq.ErrLeaseLost)
	require.ErrorIs(t, context.Cause(ctx), taskq.ErrLeaseLost)

	ctx, c = rc.begin(parent)
	rc.done(c)
	require.ErrorIs(t, ctx.Err(), context.Canceled)
	require.NoError(t, parent.Err())
}
