package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
)

// A LogBuffer keeps everything, or with Cap only the last Cap bytes.
func TestLogBuffer(t *testing.T) {
	t.Parallel()
	var all testenv.LogBuffer
	capped := testenv.LogBuffer{Cap: 8}
	for _, w := range []string{"first line\n", "0123456789\n"} {
		n, err := all.Write([]byte(w))
		require.NoError(t, err)
		require.Equal(t, len(w), n)
		n, err = capped.Write([]byte(w))
		require.NoError(t, err)
		require.Equal(t, len(w), n)
	}
	require.Equal(t, "first line\n0123456789\n", all.String())
	require.Equal(t, []string{"first line", "0123456789"}, all.Lines())
	require.Equal(t, "3456789\n", capped.String())
}
