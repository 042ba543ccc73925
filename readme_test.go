package taskq_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeQuickStartCompiles keeps the README's quick start identical to
// examples/quickstart/main.go, which CI builds and vets: the README shows
// code that compiles.
func TestReadmeQuickStartCompiles(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	s := string(readme)
	i := strings.Index(s, "## Quick start (library)")
	require.GreaterOrEqual(t, i, 0)
	s = s[i:]
	start := strings.Index(s, "```go\n")
	require.GreaterOrEqual(t, start, 0)
	s = s[start+len("```go\n"):]
	block := s[:strings.Index(s, "```")]
	src, err := os.ReadFile("examples/quickstart/main.go")
	require.NoError(t, err)
	require.Contains(t, string(src), block, "README quick start and examples/quickstart/main.go differ")
}
