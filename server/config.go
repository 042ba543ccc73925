package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/server/tasktypes"
)

// Defaults of Config.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultConcurrency     = 32
	DefaultRateLimit       = 50
	DefaultRateBurst       = 100
	DefaultAuthRateLimit   = 10
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultMaxScheduleAhead is Config.MaxScheduleAhead's default.
	DefaultMaxScheduleAhead = 365 * 24 * time.Hour
	// MaxBodyBytes bounds request bodies (413 beyond).
	MaxBodyBytes = 1 << 20
	// DefaultListMaxBytes is Config.ListMaxBytes' default (4 MiB).
	DefaultListMaxBytes = 4 << 20
	// DefaultQuotaPendingTasks is Config.QuotaPendingTasks' default.
	DefaultQuotaPendingTasks = 10000
	// DefaultQuotaMetadataBytes is Config.QuotaMetadataBytes' default
	// (64 MiB).
	DefaultQuotaMetadataBytes = 64 << 20
	// DefaultTaskRetention is Config.TaskRetention's default (7 days).
	DefaultTaskRetention = 7 * 24 * time.Hour
	// DefaultMemoryMaxTasks is Config.MemoryMaxTasks' default.
	DefaultMemoryMaxTasks = 1_000_000
	// DefaultMemoryMaxBytes is Config.MemoryMaxBytes' default (1 GiB).
	DefaultMemoryMaxBytes = 1 << 30
)

// Config is the server configuration. The zero value works: New fills
// every zero field with its default (the values of the settings table of
// README.md).
type Config struct {
	// Addr is the listen address (TASKQ_ADDR). Default 127.0.0.1:8080.
	Addr string
	// RedisURL and DatabaseURL pick the deployment (TASKQ_REDIS_URL,
	// TASKQ_DATABASE_URL; see OpenBackends and docs/deployment.md): both
	// set, Redis dispatches the tasks whose records PostgreSQL keeps;
	// RedisURL alone, Redis keeps both; DatabaseURL alone, PostgreSQL keeps
	// both; neither, the process' memory does. Redis also shares the rate
	// limits between replicas.
	RedisURL    string
	DatabaseURL string
	// AdminKey is the bootstrap admin API key (TASKQ_ADMIN_KEY), at least
	// 16 bytes. Empty: none.
	AdminKey string
	// AdminKeyFile is where the admin key generated for a run on the
	// in-memory storage without AdminKey is written (mode 0600, removed at
	// Stop) when stderr is not a terminal; on a terminal the key is shown
	// there once instead. It is never logged (TASKQ_ADMIN_KEY_FILE).
	// Default: a new file in the temporary directory, named in the log.
	AdminKeyFile string
	// JWTSecret is the HS256 secret (TASKQ_JWT_SECRET), at least 32 bytes.
	// Empty with no key file: a random secret per start (tokens do not
	// survive a restart nor work across replicas).
	JWTSecret string
	// JWTPrivateKeyFile, JWTPublicKeyFile and JWKSFile select asymmetric
	// JWT keys instead of the secret (TASKQ_JWT_PRIVATE_KEY_FILE,
	// TASKQ_JWT_PUBLIC_KEY_FILE, TASKQ_JWKS_FILE).
	JWTPrivateKeyFile string
	JWTPublicKeyFile  string
	JWKSFile          string
	// JWTAlgorithm overrides the algorithm (TASKQ_JWT_ALGORITHM).
	JWTAlgorithm string
	// JWTIssuer and JWTAudience are written into tokens and required on
	// verification when set (TASKQ_JWT_ISSUER, TASKQ_JWT_AUDIENCE).
	JWTIssuer   string
	JWTAudience string
	// JWTTTL is the access token lifetime (TASKQ_JWT_TTL). Default 15m.
	JWTTTL time.Duration
	// Concurrency is how many handlers run at once (TASKQ_CONCURRENCY).
	// Default 32.
	Concurrency int
	// Queues are the queues the worker serves and tasks may name
	// (TASKQ_QUEUES). Default ["default"].
	Queues []string
	// Limits caps running tasks per queue and per type, and start rates
	// per type, across every server sharing the backend
	// (TASKQ_QUEUE_CONCURRENCY, TASKQ_TYPE_CONCURRENCY, TASKQ_TYPE_RATE;
	// see taskq.Limits and docs/limits.md). Empty: no caps.
	Limits taskq.Limits
	// RetryBaseDelay and RetryMaxDelay bound the exponential backoff
	// between attempts (TASKQ_RETRY_BASE_DELAY, TASKQ_RETRY_MAX_DELAY).
	// Default 1s and 1h.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// DLQ configures the dead letter queue (TASKQ_DLQ_MAX_SIZE,
	// TASKQ_DLQ_RETENTION, TASKQ_DLQ_CLEANUP_INTERVAL, TASKQ_DLQ_RETRY_LIMIT,
	// TASKQ_DLQ_BACKOFF); zero fields take taskq's defaults.
	DLQ taskq.DeadLetterQueueConfig
	// RateLimit and RateBurst are the requests per second and burst per
	// principal or client IP (TASKQ_RATE_LIMIT, TASKQ_RATE_BURST). Default
	// 50 and 100.
	RateLimit float64
	RateBurst int
	// AuthRateLimit is the token requests per minute per client IP
	// (TASKQ_AUTH_RATE_LIMIT). Default 10.
	AuthRateLimit float64
	// AuthFailLimit failed authentications within 5 minutes block a client
	// IP for AuthBlock (TASKQ_AUTH_FAIL_LIMIT, TASKQ_AUTH_BLOCK). Default 10
	// and 15m.
	AuthFailLimit int
	AuthBlock     time.Duration
	// MaxConns caps the open connections in total (TASKQ_MAX_CONNS);
	// beyond it a new connection is answered 503 and closed. Default 1024.
	MaxConns int
	// MaxConnsPerIP caps the open connections of one client address, an
	// IPv6 /64 counting as one (TASKQ_MAX_CONNS_PER_IP); trusted proxies
	// count toward MaxConns only. Default 32.
	MaxConnsPerIP int
	// IdleTimeout closes keep-alive connections idle that long
	// (TASKQ_IDLE_TIMEOUT). Default 30s.
	IdleTimeout time.Duration
	// ReadTimeout bounds reading one request, body included
	// (TASKQ_READ_TIMEOUT); headers must arrive within 5s. Default 20s.
	ReadTimeout time.Duration
	// DenyCIDRs answer 403 (TASKQ_DENY_CIDRS).
	DenyCIDRs []netip.Prefix
	// TrustedProxies may set X-Forwarded-For (TASKQ_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// HTTPAllow lists the hosts the http task type may call
	// (TASKQ_HTTP_ALLOW). Empty: none.
	HTTPAllow []string
	// AlertURLs receive signed webhook alerts (DLQ moves, DLQ size, breaker
	// transitions; package alert) (TASKQ_ALERT_URLS). Empty: no alerts.
	AlertURLs []string
	// AlertSecret signs the alerts, at least 16 bytes; required with
	// AlertURLs (TASKQ_ALERT_SECRET).
	AlertSecret string
	// AlertDLQThreshold sends an alert once the DLQ holds more entries
	// (TASKQ_ALERT_DLQ_THRESHOLD). Default 0: off.
	AlertDLQThreshold int
	// MetricsAuth puts /metrics behind admin credentials
	// (TASKQ_METRICS_AUTH). Default false: public.
	MetricsAuth bool
	// MetricsNamespace prefixes the name of every taskq metric family with
	// it and an underscore (TASKQ_METRICS_NAMESPACE): "taskq" exports
	// taskq_tasks_processed_total. Set it when Deps.Registry already holds
	// families of the same names. The shipped dashboards and alerting rules
	// expect no prefix. Default empty: no prefix.
	MetricsNamespace string
	// TLSCertFile and TLSKeyFile serve HTTPS (TASKQ_TLS_CERT, TASKQ_TLS_KEY).
	TLSCertFile string
	TLSKeyFile  string
	// MaxScheduleAhead bounds how far ahead a task's run_at may lie
	// (TASKQ_MAX_SCHEDULE_AHEAD); a later run_at is refused with 422.
	// Default 8760h (one year).
	MaxScheduleAhead time.Duration
	// ListMaxBytes bounds the encoded size of one page of GET /api/tasks
	// and GET /api/dlq (TASKQ_LIST_MAX_BYTES): a page stops early once its
	// tasks reach it (always holding at least one task), and its
	// next_cursor continues where it stopped. Default 4 MiB.
	ListMaxBytes int
	// QuotaPendingTasks bounds the tasks one owner may have pending,
	// running or failed (to be retried) (TASKQ_QUOTA_PENDING_TASKS);
	// creating one more is refused with 429 quota_exceeded. Zero: the
	// default, 10000; negative: unlimited. Needs a storage implementing
	// taskq.OwnerUsage (every storage of this module does).
	QuotaPendingTasks int
	// QuotaMetadataBytes bounds the metadata one owner may keep stored,
	// summed over its tasks (terminal ones too, until deleted) as the
	// storage encodes it (TASKQ_QUOTA_METADATA_BYTES); beyond, creating is
	// refused with 429 quota_exceeded. Zero: the default, 64 MiB;
	// negative: unlimited.
	QuotaMetadataBytes int64
	// TaskRetention is how long completed and cancelled tasks are kept
	// after they finish (TASKQ_TASK_RETENTION): the replica elected for
	// maintenance deletes older ones in batches every minute. Zero: the
	// default, 7 days; negative: kept forever. Dead letter entries follow
	// DLQ.RetentionPeriod instead.
	TaskRetention time.Duration
	// ElectionTTL is the lease of the leader elections of the replicas
	// (maintenance and periodic scheduler; TASKQ_ELECTION_TTL): renewed
	// every third of it, it bounds failover to TTL plus a third of it
	// after the elected replica dies. Default 10s; at least 10ms.
	ElectionTTL time.Duration
	// MemoryMaxTasks and MemoryMaxBytes cap the in-memory storage, when no
	// Deps.Store is given (TASKQ_MEMORY_MAX_TASKS, TASKQ_MEMORY_MAX_BYTES;
	// see storage.WithLimits): creating beyond is refused with 429
	// quota_exceeded. Zero: the defaults, 1000000 tasks and 1 GiB;
	// negative: unlimited.
	MemoryMaxTasks int
	MemoryMaxBytes int64
	// ShutdownTimeout bounds the graceful shutdown: in-flight requests and
	// running handlers (TASKQ_SHUTDOWN_TIMEOUT). Default 30s.
	ShutdownTimeout time.Duration
	// LogFormat is text or json (TASKQ_LOG_FORMAT). Default text.
	LogFormat string
	// LogLevel is debug, info, warn or error (TASKQ_LOG_LEVEL). Default
	// info.
	LogLevel string
	// Schedules are periodic tasks (TASKQ_SCHEDULES, a JSON array; see
	// docs/periodic.md): the replicas elect one that enqueues them, on the
	// PostgreSQL storage, else Redis (storage or queue), else in process
	// memory.
	Schedules []ScheduleConfig
}

// DefaultConfig returns the configuration with every default filled.
func DefaultConfig() Config { return Config{}.withDefaults() }

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.JWTTTL <= 0 {
		c.JWTTTL = auth.DefaultTokenTTL
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if len(c.Queues) == 0 {
		c.Queues = []string{taskq.DefaultQueue}
	}
	if c.RetryBaseDelay <= 0 {
		c.RetryBaseDelay = time.Second
	}
	if c.TaskRetention == 0 {
		c.TaskRetention = DefaultTaskRetention
	}
	if c.ElectionTTL <= 0 {
		c.ElectionTTL = leader.DefaultTTL
	}
	if c.RetryMaxDelay <= 0 {
		c.RetryMaxDelay = time.Hour
	}
	c.DLQ = c.DLQ.WithDefaults()
	if c.RateLimit <= 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.AuthRateLimit <= 0 {
		c.AuthRateLimit = DefaultAuthRateLimit
	}
	if c.AuthFailLimit <= 0 {
		c.AuthFailLimit = auth.DefaultFailLimit
	}
	if c.AuthBlock <= 0 {
		c.AuthBlock = auth.DefaultBlockFor
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.MaxScheduleAhead <= 0 {
		c.MaxScheduleAhead = DefaultMaxScheduleAhead
	}
	if c.ListMaxBytes <= 0 {
		c.ListMaxBytes = DefaultListMaxBytes
	}
	if c.QuotaPendingTasks == 0 {
		c.QuotaPendingTasks = DefaultQuotaPendingTasks
	}
	if c.QuotaMetadataBytes == 0 {
		c.QuotaMetadataBytes = DefaultQuotaMetadataBytes
	}
	if c.MemoryMaxTasks == 0 {
		c.MemoryMaxTasks = DefaultMemoryMaxTasks
	}
	if c.MemoryMaxBytes == 0 {
		c.MemoryMaxBytes = DefaultMemoryMaxBytes
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	return c
}

// Validate reports every invalid setting, named by its environment
// variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{env}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("TASKQ_ADDR", "%q is not host:port", c.Addr)
	}
	if c.ElectionTTL > 0 && c.ElectionTTL < 10*time.Millisecond {
		bad("TASKQ_ELECTION_TTL", "must be at least 10ms")
	}
	if c.AdminKey != "" && len(c.AdminKey) < auth.MinAdminKeyLen {
		bad("TASKQ_ADMIN_KEY", "must be at least %d bytes", auth.MinAdminKeyLen)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < auth.MinSecretLen {
		bad("TASKQ_JWT_SECRET", "must be at least %d bytes", auth.MinSecretLen)
	}
	if err := c.Limits.Validate(); err != nil {
		bad("TASKQ_TYPE_CONCURRENCY", "%v", err)
	}
	for _, q := range c.Queues {
		if !names.Valid(q, taskq.MaxQueueNameLength) {
			bad("TASKQ_QUEUES", "invalid queue name %q", q)
		}
	}
	if c.RetryMaxDelay < c.RetryBaseDelay {
		bad("TASKQ_RETRY_MAX_DELAY", "must not be below TASKQ_RETRY_BASE_DELAY")
	}
	if c.DLQ.RetryLimit < 0 {
		bad("TASKQ_DLQ_RETRY_LIMIT", "must not be negative")
	}
	for _, err := range c.validateSchedules() {
		bad("TASKQ_SCHEDULES", "%v", err)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("TASKQ_TLS_CERT", "TASKQ_TLS_CERT and TASKQ_TLS_KEY go together")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("TASKQ_LOG_FORMAT", "must be text or json, not %q", c.LogFormat)
	}
	if len(c.AlertURLs) > 0 && len(c.AlertSecret) < alert.MinSecretLength {
		bad("TASKQ_ALERT_SECRET", "must be at least %d bytes when TASKQ_ALERT_URLS is set", alert.MinSecretLength)
	}
	if _, err := tasktypes.ParseAllowList(c.HTTPAllow); err != nil {
		bad("TASKQ_HTTP_ALLOW", "%v", err)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("TASKQ_LOG_LEVEL", "%v", err)
	}
	if err := metrics.ValidateNamespace(c.MetricsNamespace); err != nil {
		bad("TASKQ_METRICS_NAMESPACE", "%v", err)
	}
	return errors.Join(errs...)
}
