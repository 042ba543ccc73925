package tasktypes

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	require.NoError(t, err)
	return a
}
