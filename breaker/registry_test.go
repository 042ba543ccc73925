package breaker_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/internal/testenv"
)

func TestZeroRegistryConfigWorks(t *testing.T) {
	t.Parallel()
	reg := breaker.NewRegistry(breaker.RegistryConfig{})
	require.NoError(t, reg.Do(context.Background(), "x", succeed))
	cfg := reg.Get("x").Config()
	require.Equal(t, breaker.DefaultFailureThreshold, cfg.FailureThreshold)
	require.Equal(t, breaker.DefaultDelay, cfg.Delay)
	require.Equal(t, 1, cfg.HalfOpenTrials)
	require.Equal(t, 1, cfg.SuccessThreshold)
	require.Zero(t, cfg.FailureRatio)
	require.NotNil(t, cfg.IsFailure)
}

func TestRegistryIsolatesNames(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: time.Minute})
	ctx := context.Background()

	require.ErrorIs(t, bb.reg.Do(ctx, "a", fail), errBoom)
	require.Equal(t, breaker.Open, bb.reg.Get("a").State())
	requireOpenError(t, bb.reg.Do(ctx, "a", succeed), time.Minute)

	require.NoError(t, bb.reg.Do(ctx, "b", succeed), "b is not affected by a")
	require.Equal(t, breaker.Closed, bb.reg.Get("b").State())
	require.True(t, bb.reg.Get("b").Allow())
	require.Zero(t, bb.reg.Get("b").Trips())

	require.Same(t, bb.reg.Get("a"), bb.reg.Get("a"))
	require.Equal(t, "a", bb.reg.Get("a").Name())
	require.Equal(t, []string{"a", "b"}, bb.reg.Names())

	other := setup(t, breaker.Config{FailureThreshold: 1}).reg
	require.Equal(t, breaker.Closed, other.Get("a").State(), "registries share nothing")
}

func TestConfigureOverridesPerName(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 3, Delay: 2 * time.Minute})
	require.NoError(t, bb.reg.Configure("fragile", breaker.Config{FailureThreshold: 1}))
	require.Equal(t, []string{"fragile"}, bb.reg.Names(), "Configure creates the breaker")

	fragile := bb.reg.Get("fragile")
	require.Equal(t, 1, fragile.Config().FailureThreshold)
	require.Equal(t, 2*time.Minute, fragile.Config().Delay, "zero fields inherit the registry default")
	_ = fragile.Do(context.Background(), fail)
	require.Equal(t, breaker.Open, fragile.State())

	sturdy := bb.reg.Get("sturdy")
	_ = sturdy.Do(context.Background(), fail)
	_ = sturdy.Do(context.Background(), fail)
	require.Equal(t, breaker.Closed, sturdy.State())
	_ = sturdy.Do(context.Background(), fail)
	require.Equal(t, breaker.Open, sturdy.State())

	err := bb.reg.Configure("sturdy", breaker.Config{FailureThreshold: 9})
	require.ErrorContains(t, err, `breaker "sturdy"`)
	require.ErrorContains(t, err, "already created")
	require.Equal(t, 3, sturdy.Config().FailureThreshold)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, breaker.Config{}.Validate())
	require.NoError(t, breaker.Config{FailureRatio: 1, HalfOpenTrials: 5, SuccessThreshold: 3, Jitter: 0.2}.Validate())
	for _, bad := range []breaker.Config{
		{FailureThreshold: -1},
		{FailureRatio: 1.5},
		{FailureRatio: -0.1},
		{MinExecutions: -1},
		{Window: -time.Second},
		{Delay: -time.Second},
		{Jitter: 1},
		{HalfOpenTrials: -1},
		{HalfOpenTrials: 2, SuccessThreshold: 3},
	} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}

	reg := breaker.NewRegistry(breaker.RegistryConfig{})
	require.ErrorContains(t, reg.Configure("x", breaker.Config{FailureRatio: 2}), "FailureRatio")
	require.Empty(t, reg.Names(), "an invalid Configure creates nothing")
	require.Panics(t, func() { breaker.NewRegistry(breaker.RegistryConfig{Default: breaker.Config{Delay: -1}}) })
}

func TestObserverSeesCreationTransitionsAndTrips(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: 50 * time.Millisecond})
	require.NoError(t, bb.reg.Configure("configured", breaker.Config{}))
	b := bb.reg.Get("x")
	bb.reg.Get("x")
	require.Equal(t, []transition{{name: "configured", to: breaker.Closed}, {name: "x", to: breaker.Closed}}, bb.rec.States(),
		"each breaker is reported once at creation")

	trip(t, b)
	waitAllow(t, b)
	require.NoError(t, b.Do(context.Background(), succeed))
	require.Equal(t, []transition{
		{name: "configured", to: breaker.Closed},
		{name: "x", to: breaker.Closed},
		{name: "x", to: breaker.Open},
		{name: "x", to: breaker.HalfOpen},
		{name: "x", to: breaker.Closed},
	}, bb.rec.States())
	require.Equal(t, 1, bb.rec.Trips("x"))
	require.Equal(t, 0, bb.rec.Trips("configured"))
}

func TestOnStateChangeSeesTripCounted(t *testing.T) {
	t.Parallel()
	var reg *breaker.Registry
	var tripsSeen []uint64
	reg = breaker.NewRegistry(breaker.RegistryConfig{
		Default: breaker.Config{FailureThreshold: 1, Delay: time.Minute},
		OnStateChange: func(name string, _, to breaker.State) {
			if to == breaker.Open {
				tripsSeen = append(tripsSeen, reg.Get(name).Trips())
				require.Equal(t, breaker.Open, reg.Get(name).State(), "hooks may read the breaker")
			}
		},
	})
	_ = reg.Do(context.Background(), "x", fail)
	require.Equal(t, []uint64{1}, tripsSeen)
}

func TestTransitionsAreLogged(t *testing.T) {
	t.Parallel()
	var buf testenv.LogBuffer
	reg := breaker.NewRegistry(breaker.RegistryConfig{
		Default: breaker.Config{FailureThreshold: 1, Delay: 50 * time.Millisecond},
		Logger:  slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	b := reg.Get("payments")
	trip(t, b)
	waitAllow(t, b)
	require.NoError(t, b.Do(context.Background(), succeed))

	lines := buf.Lines()
	require.Len(t, lines, 3)
	for i, want := range []struct{ level, to string }{{"WARN", "open"}, {"INFO", "half-open"}, {"INFO", "closed"}} {
		require.Contains(t, lines[i], "level="+want.level, lines[i])
		require.Contains(t, lines[i], "to="+want.to, lines[i])
		require.Contains(t, lines[i], "breaker=payments", lines[i])
		require.Contains(t, lines[i], "component=breaker", lines[i])
	}
	require.True(t, strings.Contains(lines[0], "trips=1"), lines[0])
}
