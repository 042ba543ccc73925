package server

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testenv"
)

// generatedKeyServer builds a server on the in-memory storage without an
// admin key, logging into a buffer.
func generatedKeyServer(t *testing.T, cfg Config) (*Server, *testenv.LogBuffer) {
	t.Helper()
	buf := &testenv.LogBuffer{}
	s, err := New(cfg, Deps{Logger: slogTo(buf)})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(ctx))
	})
	return s, buf
}

var anyAPIKey = regexp.MustCompile(`tq_[A-Za-z0-9_-]{20,}`)

// Not parallel: it replaces the terminal hooks.
func TestGeneratedAdminKeyNeverLogged(t *testing.T) {
	oldTerm, oldIs := keyTerminal, stderrIsTerminal
	t.Cleanup(func() { keyTerminal, stderrIsTerminal = oldTerm, oldIs })

	// On a terminal: shown once there, not in the log, no file.
	var term bytes.Buffer
	keyTerminal, stderrIsTerminal = &term, func() bool { return true }
	s, log := generatedKeyServer(t, Config{})
	key := anyAPIKey.FindString(term.String())
	require.NotEmpty(t, key, term.String())
	require.Equal(t, 1, strings.Count(term.String(), key), "shown once")
	require.NotContains(t, log.String(), key)
	require.NotRegexp(t, anyAPIKey, log.String())
	require.Contains(t, log.String(), "shown once on the terminal")
	require.Empty(t, s.adminKeyFile)
	requireAdminKeyWorks(t, s, key)

	// Not a terminal: a 0600 file named in the log, removed at Stop.
	term.Reset()
	stderrIsTerminal = func() bool { return false }
	for _, path := range []string{"", filepath.Join(t.TempDir(), "admin.key")} {
		if path != "" {
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o644)) // replaced, not reused
		}
		s, log := generatedKeyServer(t, Config{AdminKeyFile: path})
		require.Empty(t, term.String(), "nothing on stderr")
		require.NotRegexp(t, anyAPIKey, log.String())
		m := regexp.MustCompile(`admin_key_file=(\S+)`).FindStringSubmatch(log.String())
		require.NotNil(t, m, log.String())
		if path != "" {
			require.Equal(t, path, m[1])
		}
		fi, err := os.Stat(m[1])
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		raw, err := os.ReadFile(m[1])
		require.NoError(t, err)
		key := strings.TrimSpace(string(raw))
		require.True(t, auth.WellFormedAPIKey(key))
		requireAdminKeyWorks(t, s, key)
		require.NoError(t, s.Stop(t.Context()))
		_, err = os.Stat(m[1])
		require.ErrorIs(t, err, os.ErrNotExist)
	}

	// A configured key is neither shown nor written.
	stderrIsTerminal = func() bool { return true }
	s, log = generatedKeyServer(t, Config{AdminKey: testAdminKey})
	require.Empty(t, term.String())
	require.NotContains(t, log.String(), testAdminKey)
	require.Empty(t, s.adminKeyFile)
}

func requireAdminKeyWorks(t *testing.T, s *Server, key string) {
	t.Helper()
	b := &bundle{t: t, s: s}
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/keys", key: key}).Code)
}
