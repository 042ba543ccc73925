package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(nil, env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(), c)
	// The defaults of the settings table in docs/api.md.
	require.Equal(t, "127.0.0.1:8080", c.Addr)
	require.Empty(t, c.RedisURL)
	require.Empty(t, c.DatabaseURL)
	require.Equal(t, 15*time.Minute, c.JWTTTL)
	require.Equal(t, 32, c.Concurrency)
	require.Equal(t, time.Second, c.RetryBaseDelay)
	require.Equal(t, time.Hour, c.RetryMaxDelay)
	require.Equal(t, taskq.DeadLetterQueueConfig{MaxSize: 10000, RetentionPeriod: 168 * time.Hour, RetryLimit: 3, Backoff: time.Second, CleanupInterval: time.Minute}, c.DLQ)
	require.Equal(t, 50.0, c.RateLimit)
	require.Equal(t, 100, c.RateBurst)
	require.Equal(t, 10.0, c.AuthRateLimit)
	require.Equal(t, 10, c.AuthFailLimit)
	require.Equal(t, 15*time.Minute, c.AuthBlock)
	require.Empty(t, c.DenyCIDRs)
	require.Empty(t, c.TrustedProxies)
	require.Empty(t, c.HTTPAllow)
	require.Equal(t, "text", c.LogFormat)
	require.Equal(t, []string{"default"}, c.Queues)
}

func TestLoadConfigEnvAndFlags(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{
		"TASKQ_ADDR": "0.0.0.0:9000", "TASKQ_REDIS_URL": "redis://r:6379", "TASKQ_DATABASE_URL": "postgres://db/x",
		"TASKQ_ADMIN_KEY": "0123456789abcdef", "TASKQ_JWT_SECRET": strings.Repeat("x", 32), "TASKQ_JWT_TTL": "1h",
		"TASKQ_CONCURRENCY": "8", "TASKQ_RETRY_BASE_DELAY": "2s", "TASKQ_RETRY_MAX_DELAY": "10m",
		"TASKQ_DLQ_MAX_SIZE": "-1", "TASKQ_DLQ_RETENTION": "24h", "TASKQ_DLQ_CLEANUP_INTERVAL": "5m",
		"TASKQ_DLQ_RETRY_LIMIT": "5", "TASKQ_DLQ_BACKOFF": "3s", "TASKQ_RATE_LIMIT": "2.5", "TASKQ_RATE_BURST": "7",
		"TASKQ_AUTH_RATE_LIMIT": "4", "TASKQ_AUTH_FAIL_LIMIT": "3", "TASKQ_AUTH_BLOCK": "1m",
		"TASKQ_DENY_CIDRS": "203.0.113.0/24, 198.51.100.7", "TASKQ_TRUSTED_PROXIES": "10.0.0.0/8",
		"TASKQ_HTTP_ALLOW": "api.example.com, 127.0.0.1:8081", "TASKQ_LOG_FORMAT": "json", "TASKQ_QUEUES": "default,mail",
		"TASKQ_METRICS_AUTH": "true", "TASKQ_SHUTDOWN_TIMEOUT": "5s", "TASKQ_LOG_LEVEL": "debug",
		"TASKQ_METRICS_NAMESPACE": "taskq",
	})
	c, err := LoadConfig(nil, e)
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9000", c.Addr)
	require.Equal(t, "redis://r:6379", c.RedisURL)
	require.Equal(t, "postgres://db/x", c.DatabaseURL)
	require.Equal(t, time.Hour, c.JWTTTL)
	require.Equal(t, 8, c.Concurrency)
	require.Equal(t, 2*time.Second, c.RetryBaseDelay)
	require.Equal(t, 10*time.Minute, c.RetryMaxDelay)
	require.Equal(t, taskq.DeadLetterQueueConfig{MaxSize: -1, RetentionPeriod: 24 * time.Hour, RetryLimit: 5, Backoff: 3 * time.Second, CleanupInterval: 5 * time.Minute}, c.DLQ)
	require.Equal(t, 2.5, c.RateLimit)
	require.Equal(t, 7, c.RateBurst)
	require.Equal(t, 4.0, c.AuthRateLimit)
	require.Equal(t, 3, c.AuthFailLimit)
	require.Equal(t, time.Minute, c.AuthBlock)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.7/32")}, c.DenyCIDRs)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, c.TrustedProxies)
	require.Equal(t, []string{"api.example.com", "127.0.0.1:8081"}, c.HTTPAllow)
	require.Equal(t, "json", c.LogFormat)
	require.Equal(t, []string{"default", "mail"}, c.Queues)
	require.True(t, c.MetricsAuth)
	require.Equal(t, "taskq", c.MetricsNamespace)
	require.Equal(t, 5*time.Second, c.ShutdownTimeout)

	// A flag wins over its variable.
	c, err = LoadConfig([]string{"--addr", "127.0.0.1:1", "--redis-url=", "-concurrency=2"}, e)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1", c.Addr)
	require.Empty(t, c.RedisURL, "an empty flag overrides the variable")
	require.Equal(t, 2, c.Concurrency)
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	for k, v := range map[string]string{
		"TASKQ_CONCURRENCY":       "zero",
		"TASKQ_RETRY_BASE_DELAY":  "1 second",
		"TASKQ_JWT_TTL":           "-1m",
		"TASKQ_DLQ_MAX_SIZE":      "0",
		"TASKQ_RATE_LIMIT":        "-3",
		"TASKQ_METRICS_AUTH":      "maybe",
		"TASKQ_DENY_CIDRS":        "10.0.0.0/33",
		"TASKQ_TRUSTED_PROXIES":   "proxy.local",
		"TASKQ_HTTP_ALLOW":        "http://x.com/",
		"TASKQ_LOG_FORMAT":        "xml",
		"TASKQ_LOG_LEVEL":         "loud",
		"TASKQ_ADMIN_KEY":         "short",
		"TASKQ_JWT_SECRET":        "short",
		"TASKQ_ADDR":              "8080",
		"TASKQ_QUEUES":            "a b",
		"TASKQ_METRICS_NAMESPACE": "task-q",
	} {
		_, err := LoadConfig(nil, env(map[string]string{k: v}))
		require.ErrorContains(t, err, k, "%s=%s", k, v)
	}
	_, err := LoadConfig([]string{"--concurrency", "x"}, env(nil))
	require.ErrorContains(t, err, "--concurrency")
	_, err = LoadConfig([]string{"--nope"}, env(nil))
	require.Error(t, err)
	_, err = LoadConfig([]string{"extra"}, env(nil))
	require.Error(t, err)
	_, err = LoadConfig([]string{"-help"}, env(nil))
	require.ErrorIs(t, err, flag.ErrHelp)
	_, err = LoadConfig(nil, env(map[string]string{"TASKQ_RETRY_BASE_DELAY": "2h"}))
	require.ErrorContains(t, err, "TASKQ_RETRY_MAX_DELAY")

	var buf bytes.Buffer
	Usage(&buf)
	for _, v := range []string{"TASKQ_ADDR", "TASKQ_REDIS_URL", "TASKQ_DATABASE_URL", "TASKQ_HTTP_ALLOW", "--rate-burst"} {
		require.Contains(t, buf.String(), v)
	}
}

func TestNewRejectsBadJWTSetup(t *testing.T) {
	t.Parallel()
	_, err := New(Config{JWTSecret: strings.Repeat("s", 32), JWKSFile: "/nonexistent"}, Deps{})
	require.Error(t, err)
	_, err = New(Config{JWTPrivateKeyFile: "/nonexistent/key.pem"}, Deps{})
	require.ErrorContains(t, err, "TASKQ_JWT_PRIVATE_KEY_FILE")
}

func TestAsymmetricJWTKeys(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "jwt.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	b := setup(t, Config{JWTPrivateKeyFile: path, JWTIssuer: "taskq-test", JWTAudience: "api"}, Deps{}, false)
	w := b.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": testAdminKey}})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	tok := decode[map[string]any](t, w)["access_token"].(string)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/keys", bearer: tok}).Code)
	require.NotContains(t, b.log.String(), "random secret")

	// A token of another server (another key) is refused.
	other := setup(t, Config{JWTSecret: strings.Repeat("o", 32)}, Deps{}, false)
	w = other.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": testAdminKey}})
	foreign := decode[map[string]any](t, w)["access_token"].(string)
	requireError(t, b.do(req{method: "GET", path: "/api/keys", bearer: foreign}), 401, taskq.CodeUnauthorized)
}

// TestDeploymentFromConfig: the URLs configured pick the deployment;
// Redis alone is one of them (records in Redis), not a refused
// configuration.
func TestDeploymentFromConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, deployMemory},
		{map[string]string{"TASKQ_DATABASE_URL": "postgres://127.0.0.1/taskq"}, deployPostgres},
		{map[string]string{"TASKQ_REDIS_URL": "redis://127.0.0.1:6379"}, deployRedis},
		{map[string]string{"TASKQ_REDIS_URL": "redis://127.0.0.1:6379", "TASKQ_DATABASE_URL": "postgres://127.0.0.1/taskq"}, deployRedisPostgres},
	} {
		cfg, err := LoadConfig(nil, func(k string) string { return c.env[k] })
		require.NoError(t, err, c.env)
		require.Equal(t, c.want, deploymentOfConfig(cfg), c.env)
	}
}
