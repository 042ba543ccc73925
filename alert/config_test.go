package alert_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

func newClient(t *testing.T) *taskq.Client {
	t.Helper()
	c, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	return c
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	ok := func() alert.Config {
		return alert.Config{URLs: []string{"https://hooks.example.com/x"}, Secret: testSecret}
	}
	tests := []struct {
		name   string
		mutate func(*alert.Config)
		want   string
	}{
		{"ftp scheme", func(c *alert.Config) { c.URLs = []string{"ftp://example.com/SECRET-PATH"} }, "scheme must be http or https"},
		{"relative", func(c *alert.Config) { c.URLs = []string{"/SECRET-PATH"} }, "scheme must be http or https"},
		{"no host", func(c *alert.Config) { c.URLs = []string{"https:///SECRET-PATH"} }, "missing host"},
		{"user info", func(c *alert.Config) { c.URLs = []string{"https://user:SECRET-PATH@example.com/"} }, "user info is not allowed"},
		{"unparsable", func(c *alert.Config) { c.URLs = []string{"https://exa mple.com/SECRET-PATH"} }, "not a valid URL"},
		{"no secret", func(c *alert.Config) { c.Secret = nil }, "secret must be at least 16 bytes"},
		{"short secret", func(c *alert.Config) { c.Secret = []byte("SECRET-PATH") }, "secret must be at least 16 bytes"},
		{"negative threshold", func(c *alert.Config) { c.DLQSizeThreshold = -1 }, "negative DLQSizeThreshold"},
		{"rearm at threshold", func(c *alert.Config) { c.DLQSizeThreshold, c.DLQSizeRearm = 5, 5 }, "DLQSizeRearm 5 is outside [0, DLQSizeThreshold=5)"},
		{"too many retries", func(c *alert.Config) { c.MaxRetries = 101 }, "MaxRetries 101 is over 100"},
		{"bad queue", func(c *alert.Config) { c.Queue = "a b" }, `invalid queue name "a b"`},
		{"bad kind", func(c *alert.Config) { c.Kinds = []alert.Kind{""} }, `invalid kind ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok()
			tc.mutate(&cfg)
			n, err := alert.New(newClient(t), cfg)
			require.Nil(t, n)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "SECRET-PATH", "errors never show URLs or secrets")
		})
	}
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		cfg := ok()
		cfg.URLs = append(cfg.URLs, "http://127.0.0.1:8080/hook?token=abc")
		cfg.DLQSizeThreshold = 10 // re-arm defaults to 9
		n, err := alert.New(newClient(t), cfg)
		require.NoError(t, err)
		require.True(t, n.Enabled())
	})
	t.Run("nil client", func(t *testing.T) {
		t.Parallel()
		_, err := alert.New(nil, ok())
		require.ErrorContains(t, err, "needs a *taskq.Client")
	})
}

func TestSecretIsRedacted(t *testing.T) {
	t.Parallel()
	cfg := alert.Config{URLs: []string{"https://example.com/"}, Secret: []byte("super-secret-key-material")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, cfg)
		require.NotContains(t, out, "super-secret", verb)
		require.NotContains(t, out, fmt.Sprintf("%x", "super-secret"), verb)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg, "secret", cfg.Secret)
	require.NotContains(t, buf.String(), "super-secret")
	require.Contains(t, buf.String(), "[REDACTED]")
	text, err := cfg.Secret.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "[REDACTED]", string(text))
}
