package leader_test

import (
	"testing"

	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/leadertest"
)

func TestMemoryStore(t *testing.T) {
	s := leader.NewMemoryStore(nil)
	leadertest.Run(t, func(*testing.T) leader.Store { return s })
}
