package testenv

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main runs a package's tests for TestMain: afterwards it stops the server
// SharedPostgres may have started and, when the tests passed, fails the run
// if goroutines leaked (goleak, with opts).
func Main(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	StopSharedPostgres()
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
