package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestUnstorableResult: a result with NUL in a string (which PostgreSQL's
// jsonb refuses) fails the task permanently with a clear error on every
// backend, instead of a failed write that would look like a lost lease.
func TestUnstorableResult(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := be.prepare(t)(t, fastConfig())
			b.worker.HandleFunc("nul", func(ctx context.Context, tk *taskq.Task) (any, error) {
				return map[string]any{"text": "a\x00b"}, nil
			})
			b.start(t)
			tk, err := b.client.Enqueue(context.Background(), "nul", nil, taskq.WithMaxRetries(3))
			require.NoError(t, err)
			dead := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 10*time.Second)
			require.Equal(t, 1, dead.Attempts)
			require.Contains(t, dead.Error.Message, "NUL")
			require.Nil(t, dead.Result)
		})
	}
}
