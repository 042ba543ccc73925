package worker_test

import (
	"testing"

	"github.com/taskq/taskq/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
