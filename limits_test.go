package taskq_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	var none *taskq.Limits
	require.NoError(t, none.Validate())
	require.True(t, none.Empty())
	require.True(t, (&taskq.Limits{}).Empty())
	ok := &taskq.Limits{
		QueueConcurrency: map[string]int{"q": 3},
		TypeConcurrency:  map[string]int{"t": 0},
		TypeRate:         map[string]taskq.Rate{"r": {N: 5, Per: time.Second}, "off": {}},
	}
	require.NoError(t, ok.Validate())
	require.False(t, ok.Empty())
	for _, bad := range []*taskq.Limits{
		{QueueConcurrency: map[string]int{"q": -1}},
		{TypeConcurrency: map[string]int{"t": -2}},
		{TypeRate: map[string]taskq.Rate{"r": {N: 5}}},
		{TypeRate: map[string]taskq.Rate{"r": {N: -1, Per: time.Second}}},
	} {
		require.ErrorIs(t, bad.Validate(), taskq.ErrInvalidInput, "%+v", bad)
	}
}
