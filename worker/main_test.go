package worker_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/taskq/taskq/internal/testenv"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopSharedPostgres()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
