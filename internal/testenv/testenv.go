// Package testenv starts real servers (redis-server, a Redis Cluster,
// PostgreSQL) for integration tests, on free loopback ports in temp dirs,
// and stops them by PID. When a binary is missing the test is skipped with a
// clear message, unless TASKQ_REQUIRE_INTEGRATION=1, in which case it fails.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// RequireIntegrationEnv is the environment variable that turns skips into
// failures.
const RequireIntegrationEnv = "TASKQ_REQUIRE_INTEGRATION"

// IntegrationRequired reports whether TASKQ_REQUIRE_INTEGRATION=1.
func IntegrationRequired() bool { return os.Getenv(RequireIntegrationEnv) == "1" }

// SkipOrFail skips the test with msg, or fails it when integration tests are
// required.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if IntegrationRequired() {
		t.Fatalf("%s (and %s=1)", msg, RequireIntegrationEnv)
	}
	t.Skip(msg)
}

// LookPath returns the path of an executable or calls SkipOrFail.
func LookPath(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	SkipOrFail(t, name+" not found: install it (make test does) to run integration tests")
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
