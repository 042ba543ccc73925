package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/taskq/taskq/internal/testenv"
)

// nodeBin is the node program, built once for the package's tests
// (without the race detector: the nodes are the system under test, the
// controller is this test process).
var nodeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "taskq-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nodeBin = filepath.Join(dir, "node")
	build := exec.Command("go", "build", "-o", nodeBin, "./internal/node")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the node program:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopSharedPostgres()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// full reports whether the full form runs (make reliability).
func full() bool { return os.Getenv("TASKQ_RELIABILITY") == "full" }
