package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/taskq/taskq/auth"
)

// setting is one flag with its environment variable.
type setting struct {
	flag, env, usage string
	set              func(string) error
	def              string
}

// LoadConfig reads the configuration from command-line args (without the
// program name) and environment variables read through getenv: a flag
// wins over its variable, a variable over the default. Durations use Go
// syntax ("1s", "15m"); lists are comma-separated. The result has its
// defaults filled and is validated; errors name the setting.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	var c Config
	settings := c.settings()
	fs := flag.NewFlagSet("taskq-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := make(map[string]*string, len(settings))
	for _, s := range settings {
		raw[s.flag] = fs.String(s.flag, "", s.usage+" (env "+s.env+", default "+s.def+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("flags: %w (see -help)", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, s := range settings {
		v, from := getenv(s.env), s.env
		if given[s.flag] {
			v, from = *raw[s.flag], "--"+s.flag
		}
		if v == "" {
			continue
		}
		if err := s.set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Usage writes the flags and their variables to w.
func Usage(w io.Writer) {
	var c Config
	fmt.Fprintln(w, "Usage: taskq-server [flags]\n\nEach flag may also be set by its environment variable; the flag wins.")
	for _, s := range c.settings() {
		fmt.Fprintf(w, "  --%-26s %-28s %s (default %s)\n", s.flag, s.env, s.usage, s.def)
	}
}

func (c *Config) settings() []setting {
	return append([]setting{
		{"addr", "TASKQ_ADDR", "listen address", str(&c.Addr), DefaultAddr},
		{"redis-url", "TASKQ_REDIS_URL", "Redis URL: alone, Redis keeps tasks and keys; with the database URL, Redis dispatches", str(&c.RedisURL), "empty"},
		{"database-url", "TASKQ_DATABASE_URL", "PostgreSQL URL: keeps tasks and keys (dispatch too without the Redis URL); neither URL = in memory", str(&c.DatabaseURL), "empty"},
		{"admin-key", "TASKQ_ADMIN_KEY", "bootstrap admin API key (prefer the variable: flags show in ps)", str(&c.AdminKey), "empty"},
		{"admin-key-file", "TASKQ_ADMIN_KEY_FILE", "file (0600) receiving a generated admin key when stderr is no terminal", str(&c.AdminKeyFile), "new temp file"},
		{"jwt-secret", "TASKQ_JWT_SECRET", "HS256 secret, >= 32 bytes", str(&c.JWTSecret), "random per start"},
		{"jwt-private-key-file", "TASKQ_JWT_PRIVATE_KEY_FILE", "PEM private key signing tokens", str(&c.JWTPrivateKeyFile), "empty"},
		{"jwt-public-key-file", "TASKQ_JWT_PUBLIC_KEY_FILE", "PEM public key verifying tokens", str(&c.JWTPublicKeyFile), "empty"},
		{"jwks-file", "TASKQ_JWKS_FILE", "JWKS file verifying tokens", str(&c.JWKSFile), "empty"},
		{"jwt-algorithm", "TASKQ_JWT_ALGORITHM", "JWT algorithm override", str(&c.JWTAlgorithm), "by key"},
		{"jwt-issuer", "TASKQ_JWT_ISSUER", "iss written and required", str(&c.JWTIssuer), "empty"},
		{"jwt-audience", "TASKQ_JWT_AUDIENCE", "aud written and required", str(&c.JWTAudience), "empty"},
		{"jwt-ttl", "TASKQ_JWT_TTL", "access token lifetime", dur(&c.JWTTTL), "15m"},
		{"concurrency", "TASKQ_CONCURRENCY", "handlers run at once", posInt(&c.Concurrency), "32"},
		{"queues", "TASKQ_QUEUES", "queues served (comma-separated)", list(&c.Queues), "default"},
		{"retry-base-delay", "TASKQ_RETRY_BASE_DELAY", "first retry backoff", dur(&c.RetryBaseDelay), "1s"},
		{"retry-max-delay", "TASKQ_RETRY_MAX_DELAY", "backoff cap", dur(&c.RetryMaxDelay), "1h"},
		{"max-schedule-ahead", "TASKQ_MAX_SCHEDULE_AHEAD", "how far ahead run_at may lie", dur(&c.MaxScheduleAhead), "8760h"},
		{"list-max-bytes", "TASKQ_LIST_MAX_BYTES", "encoded bytes of one list page; the page stops early", posInt(&c.ListMaxBytes), "4194304"},
		{"quota-pending-tasks", "TASKQ_QUOTA_PENDING_TASKS", "pending, running or failed tasks per owner; 0 = unlimited", limitInt(&c.QuotaPendingTasks), "10000"},
		{"quota-metadata-bytes", "TASKQ_QUOTA_METADATA_BYTES", "stored metadata bytes per owner; 0 = unlimited", limitInt64(&c.QuotaMetadataBytes), "67108864"},
		{"memory-max-tasks", "TASKQ_MEMORY_MAX_TASKS", "records of the in-memory storage; 0 = unlimited", limitInt(&c.MemoryMaxTasks), "1000000"},
		{"memory-max-bytes", "TASKQ_MEMORY_MAX_BYTES", "estimated bytes of the in-memory storage; 0 = unlimited", limitInt64(&c.MemoryMaxBytes), "1073741824"},
		{"task-retention", "TASKQ_TASK_RETENTION", "how long completed and cancelled tasks are kept; 0 = forever", retention(&c.TaskRetention), "168h"},
		{"election-ttl", "TASKQ_ELECTION_TTL", "lease of the replicas' elections (maintenance, scheduler); failover within it plus a third", dur(&c.ElectionTTL), "10s"},
		{"dlq-max-size", "TASKQ_DLQ_MAX_SIZE", "DLQ size cap, oldest entry of the largest owner evicted; -1 = unbounded", dlqSize(&c.DLQ.MaxSize), "10000"},
		{"dlq-retention", "TASKQ_DLQ_RETENTION", "DLQ retention", dur(&c.DLQ.RetentionPeriod), "168h"},
		{"dlq-cleanup-interval", "TASKQ_DLQ_CLEANUP_INTERVAL", "DLQ cleanup job period", dur(&c.DLQ.CleanupInterval), "1m"},
		{"dlq-retry-limit", "TASKQ_DLQ_RETRY_LIMIT", "DLQ retries per task", posInt(&c.DLQ.RetryLimit), "3"},
		{"dlq-backoff", "TASKQ_DLQ_BACKOFF", "delay before a DLQ retry, doubling", dur(&c.DLQ.Backoff), "1s"},
		{"rate-limit", "TASKQ_RATE_LIMIT", "requests per second per principal or IP", posFloat(&c.RateLimit), "50"},
		{"rate-burst", "TASKQ_RATE_BURST", "rate limit burst", posInt(&c.RateBurst), "100"},
		{"auth-rate-limit", "TASKQ_AUTH_RATE_LIMIT", "token requests per minute per IP", posFloat(&c.AuthRateLimit), "10"},
		{"auth-fail-limit", "TASKQ_AUTH_FAIL_LIMIT", "failed authentications per 5m before an IP is blocked", posInt(&c.AuthFailLimit), "10"},
		{"auth-block", "TASKQ_AUTH_BLOCK", "IP block duration", dur(&c.AuthBlock), "15m"},
		{"max-conns", "TASKQ_MAX_CONNS", "open connections in total; beyond, 503 and close", posInt(&c.MaxConns), "1024"},
		{"max-conns-per-ip", "TASKQ_MAX_CONNS_PER_IP", "open connections per client IP (IPv6 /64)", posInt(&c.MaxConnsPerIP), "32"},
		{"idle-timeout", "TASKQ_IDLE_TIMEOUT", "keep-alive connection idle timeout", dur(&c.IdleTimeout), "30s"},
		{"read-timeout", "TASKQ_READ_TIMEOUT", "time to read one request, body included", dur(&c.ReadTimeout), "20s"},
		{"deny-cidrs", "TASKQ_DENY_CIDRS", "CIDRs answered 403", prefixes(&c.DenyCIDRs), "empty"},
		{"trusted-proxies", "TASKQ_TRUSTED_PROXIES", "CIDRs trusted to set X-Forwarded-For", prefixes(&c.TrustedProxies), "empty"},
		{"http-allow", "TASKQ_HTTP_ALLOW", "hosts the http task type may call (host or host:port)", list(&c.HTTPAllow), "empty"},
		{"alert-urls", "TASKQ_ALERT_URLS", "webhook URLs receiving signed alerts", list(&c.AlertURLs), "empty"},
		{"alert-secret", "TASKQ_ALERT_SECRET", "HMAC secret of the alerts, >= 16 bytes", str(&c.AlertSecret), "empty"},
		{"alert-dlq-threshold", "TASKQ_ALERT_DLQ_THRESHOLD", "alert when the DLQ holds more entries; 0 = off", posInt(&c.AlertDLQThreshold), "0"},
		{"metrics-auth", "TASKQ_METRICS_AUTH", "require admin credentials on /metrics", boolean(&c.MetricsAuth), "false"},
		{"metrics-namespace", "TASKQ_METRICS_NAMESPACE", "prefix of the taskq metric names (the dashboards expect none)", str(&c.MetricsNamespace), "empty"},
		{"tls-cert", "TASKQ_TLS_CERT", "TLS certificate file (PEM)", str(&c.TLSCertFile), "empty"},
		{"tls-key", "TASKQ_TLS_KEY", "TLS key file (PEM)", str(&c.TLSKeyFile), "empty"},
		{"shutdown-timeout", "TASKQ_SHUTDOWN_TIMEOUT", "graceful shutdown bound", dur(&c.ShutdownTimeout), "30s"},
		{"log-format", "TASKQ_LOG_FORMAT", "text or json", str(&c.LogFormat), "text"},
		{"log-level", "TASKQ_LOG_LEVEL", "debug, info, warn or error", str(&c.LogLevel), "info"},
		{"schedules", "TASKQ_SCHEDULES", "periodic tasks, a JSON array (docs/periodic.md)", schedulesSetting(&c.Schedules), "empty"},
	}, c.limitSettings()...)
}

func str(p *string) func(string) error {
	return func(v string) error { *p = strings.TrimSpace(v); return nil }
}

func dur(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("invalid duration %q: want a positive Go duration such as 1s or 15m", v)
		}
		*p = d
		return nil
	}
}

// retention parses a retention period: a positive duration, or 0 for
// forever (stored as -1).
func retention(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			return fmt.Errorf("invalid duration %q: want a positive Go duration such as 24h, or 0 to keep forever", v)
		}
		if d == 0 {
			d = -1
		}
		*p = d
		return nil
	}
}

func posInt(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid value %q: want a positive integer", v)
		}
		*p = n
		return nil
	}
}

func dlqSize(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n == 0 || n < -1 {
			return fmt.Errorf("invalid value %q: want a positive integer, or -1 for unbounded", v)
		}
		*p = n
		return nil
	}
}

// limitInt reads a cap where 0 means unlimited, stored as -1 (a zero
// Config field means "the default").
func limitInt(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("invalid value %q: want a positive integer, or 0 for unlimited", v)
		}
		if n == 0 {
			n = -1
		}
		*p = n
		return nil
	}
}

// limitInt64 is limitInt for byte counts.
func limitInt64(p *int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid value %q: want a positive integer, or 0 for unlimited", v)
		}
		if n == 0 {
			n = -1
		}
		*p = n
		return nil
	}
}

func posFloat(p *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f > 0) || f > 1e9 {
			return fmt.Errorf("invalid value %q: want a positive number", v)
		}
		*p = f
		return nil
	}
}

func boolean(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("invalid value %q: want true or false", v)
		}
		*p = b
		return nil
	}
}

func list(p *[]string) func(string) error {
	return func(v string) error {
		var out []string
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		*p = out
		return nil
	}
}

func prefixes(p *[]netip.Prefix) func(string) error {
	return func(v string) error {
		ps, err := auth.ParsePrefixes(v)
		if err != nil {
			return err
		}
		*p = ps
		return nil
	}
}
