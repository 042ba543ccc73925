package redisconn

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

func TestOpenNeedsAnAddress(t *testing.T) {
	for _, url := range []string{"", "  "} {
		_, err := Open("pkg", url, nil)
		require.ErrorIs(t, err, taskq.ErrInvalidInput)
		require.Contains(t, err.Error(), "pkg: no Redis address")
	}
	_, err := Open("pkg", "redis://127.0.0.1:6379", func(o *rueidis.ClientOption) { o.InitAddress = nil })
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	_, err = Open("pkg", "http://%zz", nil)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.Contains(t, err.Error(), "pkg: invalid redis URL")
}

func TestOpenRefusedConnectionIsUnavailable(t *testing.T) {
	// Port 1 on loopback: nothing listens, the dial is refused at once.
	_, err := Open("pkg", "redis://127.0.0.1:1", nil)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.Contains(t, err.Error(), "pkg: connect: redis unavailable")
}

func TestMapErr(t *testing.T) {
	require.NoError(t, MapErr(context.Background(), "pkg", "op", nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := MapErr(ctx, "pkg", "op", context.Canceled)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, taskq.ErrUnavailable, "the caller's own cancellation is not an outage")
	err = MapErr(context.Background(), "pkg", "op", errors.New("connection reset"))
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.Contains(t, err.Error(), "pkg: op: redis unavailable")
}
