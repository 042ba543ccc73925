package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQuotaExceeded: quota_exceeded_total{limit} is pre-created for the
// default limits and counts refusals.
func TestQuotaExceeded(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	require.Equal(t, 0.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaPendingTasks))
	require.Equal(t, 0.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaMetadataBytes))
	b.m.QuotaExceeded(QuotaPendingTasks)
	b.m.QuotaExceeded(QuotaPendingTasks)
	b.m.QuotaExceeded(QuotaMetadataBytes)
	require.Equal(t, 2.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaPendingTasks))
	require.Equal(t, 1.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaMetadataBytes))
}
