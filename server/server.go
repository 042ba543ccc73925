package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/auth/pgkeys"
	"github.com/taskq/taskq/auth/rediskeys"
	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/server/tasktypes"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

// Server serves the API of docs/api.md and runs the worker and the DLQ cleanup
// job. Create it with New, serve Handler, Start the background work and
// Stop it on shutdown.
type Server struct {
	cfg      Config
	log      *slog.Logger
	queue    taskq.Queue
	store    taskq.StorageAdapter
	client   *taskq.Client
	worker   *worker.Worker
	dlqJob   *dlq.DLQ              // the cleanup job
	dlq      taskq.DeadLetterQueue // what the worker and the API use (alerting when enabled)
	alerts   *alert.Notifier
	authn    *auth.Authenticator
	keys     *auth.Keys
	guard    *auth.IPGuard
	limiter  auth.Limiter
	metrics  *metrics.Metrics
	registry *prometheus.Registry
	breakers *breaker.Registry
	types    map[string]tasktypes.Type
	health   Health
	sched    *scheduler // nil without schedules (configured or storable)
	tracing  *tracing   // nil when tracing is off
	mux      *http.ServeMux
	handler  http.Handler
	queues   map[string]bool

	// pingRedis and pingDB cache the pings of the health endpoints.
	pingRedis, pingDB pingCache
	// usage caches the owners' usage for the quota check.
	usage usageCache

	ipLimit, principalLimit, tokenLimit auth.Limit

	adminKeyFile string // the file holding a generated admin key, removed at Stop

	deployment string // names the backends (see deploymentOf)

	lifeMu  sync.Mutex
	started bool
	stopped bool
}

// defaultKeyStore returns keys, else the key store that goes with store:
// in memory for the in-memory storage, the api_keys table in the schema of
// the PostgreSQL storage (migrated here), keys under the prefix of the
// Redis storage.
func defaultKeyStore(keys auth.KeyStore, store taskq.StorageAdapter) (auth.KeyStore, error) {
	if keys != nil {
		return keys, nil
	}
	switch st := store.(type) {
	case *storage.Memory:
		return auth.NewMemoryKeyStore(), nil
	case *postgres.Store:
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		ks, err := pgkeys.New(ctx, st.Pool(), pgkeys.Config{Schema: st.Schema()})
		if err != nil {
			return nil, fmt.Errorf("server: API key store: %w", err)
		}
		return ks, nil
	case *redisstore.Store:
		ks, err := rediskeys.New(st.Client(), rediskeys.Config{KeyPrefix: st.KeyPrefix()})
		if err != nil {
			return nil, fmt.Errorf("server: API key store: %w", err)
		}
		return ks, nil
	}
	return nil, errors.New("server: no API key store for this storage: set Deps.Keys")
}

// New builds a Server from cfg (zero fields take their defaults) and deps.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: deps.Logger, queue: deps.Queue, store: deps.Store, registry: deps.Registry, health: deps.Health}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.queue == nil {
		s.queue = queue.NewMemory()
	}
	if s.store == nil {
		s.store = storage.NewMemory(storage.WithLimits(cfg.MemoryMaxTasks, cfg.MemoryMaxBytes))
	}
	keyStore, err := defaultKeyStore(deps.Keys, s.store)
	if err != nil {
		return nil, err
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
		s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.deployment = deploymentOf(s.store, s.queue)
	s.deriveHealth()
	s.queues = map[string]bool{}
	for _, q := range cfg.Queues {
		s.queues[q] = true
	}

	allow, err := tasktypes.ParseAllowList(cfg.HTTPAllow)
	if err != nil {
		return nil, err
	}
	var breakerNames []string
	for _, h := range allow.Hosts() {
		breakerNames = append(breakerNames, tasktypes.BreakerName(h))
	}
	typeNames := []string{tasktypes.Noop, tasktypes.Sleep, tasktypes.Fail, tasktypes.Flaky, tasktypes.HTTP}
	if len(cfg.AlertURLs) > 0 {
		typeNames = append(typeNames, alert.TaskType)
	}
	for _, t := range deps.TaskTypes {
		if !slices.Contains(typeNames, t.Name) {
			typeNames = append(typeNames, t.Name)
		}
	}
	var paused func(context.Context) ([]string, error)
	if p, ok := s.store.(taskq.QueuePauser); ok {
		paused = p.PausedQueues
	}
	var leaders func() map[string]bool
	if len(cfg.Schedules) > 0 { // the scheduler's elector (newScheduler)
		leaders = s.leaders
	}
	s.metrics, err = metrics.New(s.registry, metrics.Config{
		Namespace:   cfg.MetricsNamespace,
		Queue:       s.queue,
		Queues:      cfg.Queues,
		DLQSize:     func(ctx context.Context) (int, error) { return s.store.CountDeadLetterTasks(ctx) },
		Paused:      paused,
		Leaders:     leaders,
		TaskTypes:   typeNames,
		Routes:      append(routePatterns(), routeConsole),
		Breakers:    breakerNames,
		AuthReasons: append(slices.Clone(metrics.DefaultAuthReasons), reasonIPDenied),
		Schedules:   metricSchedules(cfg, s.store),
		Logger:      s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	// The client, the worker and the DLQ job use the traced backends when
	// tracing is on; the server's own type checks see the backends as given.
	s.tracing = newTracing(deps.TracerProvider)
	store, q := s.store, s.queue
	// With Redis dispatch and PostgreSQL records, a request that creates
	// tasks returns once they are committed, and their entries are pushed
	// to Redis from the background (ClientConfig.BackgroundPush): one
	// round trip fewer per request, and a Redis failure after the commit
	// is no longer reported as a failed create (which a client would
	// retry, creating the task twice) but retried and left to the
	// reconciler. Stop flushes the pushes.
	ccfg := taskq.ClientConfig{Logger: s.log, MaxScheduleAhead: s.cfg.MaxScheduleAhead,
		BackgroundPush: s.deployment == deployRedisPostgres}
	if s.tracing != nil {
		store, q = s.tracing.tracer.Storage(store), s.tracing.tracer.Queue(q)
		ccfg.Tracer = s.tracing.tracer
	}
	s.client, err = taskq.NewClient(store, q, ccfg)
	if err != nil {
		return nil, err
	}
	s.alerts, err = alert.New(s.client, alert.Config{
		URLs: cfg.AlertURLs, Secret: alert.Secret(cfg.AlertSecret), DLQSizeThreshold: cfg.AlertDLQThreshold,
		Queue: cfg.Queues[0], Logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: alerts: %w", err)
	}
	s.breakers = breaker.NewRegistry(breaker.RegistryConfig{
		Observer: breakerMetrics{s.metrics}, OnStateChange: s.alerts.BreakerChanged, Logger: s.log,
	})
	for _, n := range breakerNames {
		s.breakers.Get(n)
	}
	s.dlqJob, err = dlq.New(store, q, cfg.DLQ, dlq.Options{Observer: s.metrics, Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.dlq = s.alerts.WrapDLQ(s.dlqJob)
	if err := s.newWorker(deps, allow, store, q); err != nil {
		return nil, err
	}
	if err := s.newScheduler(); err != nil {
		return nil, err
	}
	if err := s.newAuth(deps, keyStore); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.routes()
	s.handler = s.chain()
	return s, nil
}

// newWorker creates the worker and registers the task types.
func (s *Server) newWorker(deps Deps, allow tasktypes.AllowList, store taskq.StorageAdapter, q taskq.Queue) error {
	wcfg := worker.Config{
		Queues:         s.cfg.Queues,
		Concurrency:    s.cfg.Concurrency,
		Limits:         s.cfg.workerLimits(),
		RetryBaseDelay: s.cfg.RetryBaseDelay,
		RetryMaxDelay:  s.cfg.RetryMaxDelay,
		DeadLetter:     s.dlq,
		Breakers:       s.breakers,
		Observer:       s.metrics,
		Logger:         s.log,
	}
	if s.tracing != nil {
		wcfg.Tracer = s.tracing.tracer
	}
	if err := s.maintenance(&wcfg); err != nil {
		return err
	}
	if deps.Worker != nil {
		deps.Worker(&wcfg)
	}
	w, err := worker.New(store, q, wcfg)
	if err != nil {
		return err
	}
	builtins, err := tasktypes.Builtins(tasktypes.Config{HTTP: tasktypes.HTTPConfig{Allow: allow, Breakers: s.breakers}})
	if err != nil {
		return err
	}
	s.types = map[string]tasktypes.Type{}
	for _, t := range append(builtins, deps.TaskTypes...) {
		s.types[t.Name] = t
	}
	for _, t := range s.types {
		if err := tasktypes.Register(w, t); err != nil {
			return err
		}
	}
	s.alerts.Register(w) // not in s.types: the API cannot create alert deliveries
	s.worker = w
	return nil
}

// deriveHealth fills the health checks from the backends' types.
func (s *Server) deriveHealth() {
	if s.health.Redis == nil {
		if q, ok := s.queue.(*redisqueue.Queue); ok {
			s.health.Redis = q.Ping
		} else if st, ok := s.store.(*redisstore.Store); ok {
			s.health.Redis = st.Ping
		}
	}
	if s.health.DB == nil {
		if st, ok := s.store.(*postgres.Store); ok {
			s.health.DB = st.Ping
		}
	}
}

// chain wraps the mux in the middleware, outermost first.
func (s *Server) chain() http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect && !canonicalPath(r.URL.Path) {
			s.writeError(w, r, errPathNotCanonical) // the mux would redirect with HTML
			return
		}
		s.mux.ServeHTTP(&routeErrors{ResponseWriter: w, s: s, r: r}, r)
	})
	h = s.withIPGuard(h)
	h = s.withBodyLimit(h)
	h = s.withRecover(h)
	h = s.withSmuggleGuard(h)
	h = s.withObservation(h)
	h = s.withTracing(h)
	h = withSecurityHeaders(h)
	return withRequestID(h)
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the Prometheus registry served on /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Worker returns the worker (to register more task types before Start).
func (s *Server) Worker() *worker.Worker { return s.worker }
