package server

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// readmeBlock returns the first ```sh block after heading in README.md.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, heading)
	require.GreaterOrEqual(t, i, 0, "README has no %q", heading)
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	require.GreaterOrEqual(t, start, 0)
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "```")
	require.GreaterOrEqual(t, end, 0)
	return s[:end]
}

// TestReadmeCurlBlock runs the README's curl block verbatim, under bash
// with errexit, nounset and pipefail, against a server on a loopback
// listener. curl is wrapped to fail on any HTTP error status, so every
// command of the block must answer 2xx and every variable must be set.
func TestReadmeCurlBlock(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("TASKQ_REQUIRE_INTEGRATION") != "" {
				t.Fatalf("%s is required (make test installs it)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	block := readmeBlock(t, "### Every endpoint with curl")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	buf := &testenv.LogBuffer{}
	deps := Deps{Store: storage.NewMemory(), Queue: queue.NewMemory(),
		Logger: slog.New(slog.NewTextHandler(buf, nil)), Worker: fastWorker}
	cfg := Config{AdminKey: testAdminKey, ShutdownTimeout: 5 * time.Second}
	cfg.DLQ.Backoff = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, deps, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", buf.String())
		}
	})

	// The prelude only makes failures visible: strict mode, and curl
	// failing on HTTP errors (with the body shown) and bounded in time.
	script := "set -euo pipefail\n" +
		"curl() { command curl --fail-with-body --max-time 10 \"$@\"; }\n" +
		block + "\necho README-BLOCK-DONE\n"
	runCtx, stop := context.WithTimeout(context.Background(), 90*time.Second)
	defer stop()
	cmd := exec.CommandContext(runCtx, "bash", "-c", script)
	cmd.Env = append(os.Environ(),
		"TASKQ_URL=http://"+ln.Addr().String(),
		"TASKQ_ADMIN_KEY="+testAdminKey,
		"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", "http_proxy=", "HTTP_PROXY=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the README block failed:\n%s", out)
	text := string(out)
	require.Contains(t, text, "README-BLOCK-DONE")
	require.Contains(t, text, `"status":"cancelled"`, "the cancel call answered with the cancelled task")
	require.Contains(t, text, `"status":"pending","priority":1`, "the DLQ retry answered with the task back to pending")
	require.Contains(t, text, `{"tasks":[],"next_cursor":null}`, "the user token listed the user's own (no) tasks")
}
