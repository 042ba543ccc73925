package pgleader_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/leadertest"
	"github.com/taskq/taskq/leader/pgleader"
	"github.com/taskq/taskq/storage/postgres"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestConformance(t *testing.T) {
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	leadertest.Run(t, func(t *testing.T) leader.Store {
		// A pool per store, as replicas have.
		st, err := postgres.Open(context.Background(), url, postgres.Config{Schema: "lt"})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		s, err := pgleader.New(st)
		require.NoError(t, err)
		return s
	})
}

func TestUnreachable(t *testing.T) {
	pg := testenv.StartPostgres(t)
	st, err := postgres.Open(t.Context(), pg.NewDatabase(t), postgres.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	s, err := pgleader.New(st)
	require.NoError(t, err)
	_, ok, err := s.Acquire(t.Context(), "x", "a", leader.DefaultTTL)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, pg.Stop())
	_, _, err = s.Acquire(t.Context(), "x", "a", leader.DefaultTTL)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	_, err = pgleader.New(nil)
	require.Error(t, err)
}
