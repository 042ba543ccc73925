package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/breaker"
)

func TestRegistryGatesTheWorker(t *testing.T) {
	t.Parallel()
	r := breaker.NewRegistry(breaker.RegistryConfig{Default: breaker.Config{FailureThreshold: 1, Delay: time.Hour}})
	ok, wait := r.Allow("svc")
	require.True(t, ok)
	require.Zero(t, wait)
	boom := errors.New("boom")
	require.ErrorIs(t, r.Do(context.Background(), "svc", func(context.Context) error { return boom }), boom)
	ok, wait = r.Allow("svc")
	require.False(t, ok)
	require.Greater(t, wait, 59*time.Minute)
	err := r.Do(context.Background(), "svc", func(context.Context) error { return nil })
	d, open := r.OpenError(fmt.Errorf("handler: %w", err))
	require.True(t, open)
	require.Greater(t, d, 59*time.Minute)
	_, open = r.OpenError(boom)
	require.False(t, open)
}
