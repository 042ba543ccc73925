package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/metrics"
)

// DefaultAuthReasons mirrors package auth's failure reasons.
func TestDefaultAuthReasonsMatchAuth(t *testing.T) {
	t.Parallel()
	var want []string
	for _, r := range auth.Reasons {
		if r != auth.ReasonNoCredentials {
			want = append(want, string(r))
		}
	}
	require.ElementsMatch(t, want, metrics.DefaultAuthReasons)
}
