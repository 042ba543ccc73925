package background

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGroup: Go runs until Stop, Wait waits for what Go started, and Go
// after Stop runs nothing.
func TestGroup(t *testing.T) {
	var g Group
	var ran atomic.Int32
	release := make(chan struct{})
	require.True(t, g.Go(func() { <-release; ran.Add(1) }))
	g.Stop()
	require.False(t, g.Go(func() { ran.Add(10) }), "refused after Stop")
	waited := make(chan struct{})
	go func() { g.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned while a goroutine still ran")
	default:
	}
	close(release)
	<-waited
	require.EqualValues(t, 1, ran.Load())
}
