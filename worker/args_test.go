package worker_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// report is a typed task with the payload shapes that lose precision or
// form in a careless JSON round trip.
type report struct {
	ID       int64             `json:"id"`
	Big      uint64            `json:"big"`
	Ratio    float64           `json:"ratio"`
	At       time.Time         `json:"at"`
	Owner    reportOwner       `json:"owner"`
	Tags     []string          `json:"tags"`
	Counts   []int64           `json:"counts"`
	Labels   map[string]string `json:"labels"`
	Optional *reportOwner      `json:"optional"`
}

type reportOwner struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

func (report) Kind() string { return "report.generate" }

// notReport has the same kind but a shape that cannot hold report's
// metadata.
type notReport struct {
	ID string `json:"id"` // report.ID is a number
}

func (notReport) Kind() string { return "report.generate" }

func sampleReport() report {
	return report{
		ID:     9007199254740993, // 2^53 + 1: not representable as float64
		Big:    18446744073709551615,
		Ratio:  0.1,
		At:     time.Date(2026, 12, 5, 19, 30, 0, 123456789, time.UTC),
		Owner:  reportOwner{Name: "ops", Level: 3},
		Tags:   []string{"a", "b"},
		Counts: []int64{-9007199254740993, 0, 1},
		Labels: map[string]string{"env": "prod"},
	}
}

// TestTypedArgs enqueues a typed task on every backend kind and checks that
// the handler receives exactly the value enqueued, that the stored
// metadata keeps every digit, and that the task returned by EnqueueArgs
// equals a later Get.
func TestTypedArgs(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			mk := be.prepare(t)
			t.Run("RoundTrip", func(t *testing.T) {
				t.Parallel()
				b := mk(t, fastConfig())
				var mu sync.Mutex
				var got []report
				worker.HandleArgs(b.worker, func(ctx context.Context, j *taskq.Job[report]) (any, error) {
					mu.Lock()
					got = append(got, j.Args)
					mu.Unlock()
					return map[string]any{"id": j.Args.ID}, nil
				})
				want := sampleReport()
				ctx := context.Background()
				enq, err := b.client.EnqueueArgs(ctx, want)
				require.NoError(t, err)
				require.Equal(t, "report.generate", enq.Type)
				require.Equal(t, json.Number("9007199254740993"), enq.Metadata["id"])

				stored, err := b.store.GetTask(ctx, enq.ID)
				require.NoError(t, err)
				require.Equal(t, enq.Metadata, stored.Metadata, "Enqueue's task and a later Get carry the same metadata")

				b.start(t)
				done := waitStatus(t, b, enq.ID, taskq.StatusCompleted, 10*time.Second)
				require.JSONEq(t, `{"id":9007199254740993}`, string(done.Result))
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, got, 1)
				require.Equal(t, want, got[0], "the handler got the enqueued value unchanged")
			})
			t.Run("DecodeFailureIsPermanent", func(t *testing.T) {
				t.Parallel()
				b := mk(t, fastConfig())
				worker.HandleArgs(b.worker, func(ctx context.Context, j *taskq.Job[notReport]) (any, error) {
					return nil, nil
				})
				enq, err := b.client.EnqueueArgs(context.Background(), sampleReport(), taskq.WithMaxRetries(3))
				require.NoError(t, err)
				b.start(t)
				dead := waitStatus(t, b, enq.ID, taskq.StatusDeadLetter, 10*time.Second)
				require.Equal(t, 1, dead.Attempts, "no retry of a payload that cannot decode")
				require.NotNil(t, dead.Error)
				require.Contains(t, dead.Error.Message, "worker_test.notReport")
				require.Contains(t, dead.Error.Message, "report.generate")
			})
		})
	}
}
