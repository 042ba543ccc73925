package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/taskq/taskq/auth"
)

// The route patterns, one per endpoint of docs/api.md.
const (
	routeCreateTask  = "POST /api/tasks"
	routeListTasks   = "GET /api/tasks"
	routeGetTask     = "GET /api/tasks/{id}"
	routeCancelTask  = "DELETE /api/tasks/{id}"
	routeListDLQ     = "GET /api/dlq"
	routeRetryDLQ    = "POST /api/dlq/{id}/retry"
	routeDeleteDLQ   = "DELETE /api/dlq/{id}"
	routeCleanupDLQ  = "POST /api/dlq/cleanup"
	routeToken       = "POST /api/auth/token"
	routeCreateKey   = "POST /api/keys"
	routeListKeys    = "GET /api/keys"
	routeRevokeKey   = "DELETE /api/keys/{id}"
	routeHealth      = "GET /health"
	routeHealthRedis = "GET /health/redis"
	routeHealthDB    = "GET /health/db"
	routeMetrics     = "GET /metrics"
	routeSchedules   = "GET /api/schedules"
	routeCreateSched = "POST /api/schedules"
	routeDeleteSched = "DELETE /api/schedules/{name}"
	routeOpenAPI     = "GET /api/openapi.json"
	routeQueues      = "GET /api/queues"
	routePauseQueue  = "POST /api/queues/{name}/pause"
	routeResumeQueue = "POST /api/queues/{name}/resume"
	routeStats       = "GET /api/stats"
	routeRepair      = "POST /api/admin/repair"
)

// routeRetryDLQBulk replays the dead letter entries matching a filter.
const routeRetryDLQBulk = "POST /api/dlq/retry"

// routePatterns lists every pattern (pre-created in the HTTP metrics).
func routePatterns() []string {
	return []string{
		routeCreateTask, routeListTasks, routeGetTask, routeCancelTask,
		routeListDLQ, routeRetryDLQ, routeDeleteDLQ, routeCleanupDLQ, routeRetryDLQBulk,
		routeToken, routeCreateKey, routeListKeys, routeRevokeKey,
		routeHealth, routeHealthRedis, routeHealthDB, routeMetrics, routeSchedules,
		routeOpenAPI, routeQueues, routePauseQueue, routeResumeQueue, routeStats, routeRepair,
		routeCreateSched, routeDeleteSched,
	}
}

// routes registers every endpoint with its policy.
func (s *Server) routes() {
	s.route(routeCreateTask, user, s.createTask)
	s.route(routeListTasks, user, s.listTasks)
	s.route(routeGetTask, user, s.getTask)
	s.route(routeCancelTask, user, s.cancelTask)

	s.route(routeListDLQ, admin, s.listDLQ)
	s.route(routeRetryDLQ, admin, s.retryDLQ)
	s.route(routeDeleteDLQ, admin, s.deleteDLQ)
	s.route(routeCleanupDLQ, admin, s.cleanupDLQ)
	s.route(routeRetryDLQBulk, admin, s.retryDLQBulk)

	s.route(routeToken, token, s.exchangeToken)
	s.route(routeCreateKey, admin, s.createKey)
	s.route(routeListKeys, admin, s.listKeys)
	s.route(routeRevokeKey, admin, s.revokeKey)
	s.route(routeRepair, admin, s.repair)

	s.route(routeSchedules, user, s.listSchedules)
	s.route(routeCreateSched, admin, s.createSchedule)
	s.route(routeDeleteSched, admin, s.deleteSchedule)
	s.route(routeOpenAPI, open, s.serveOpenAPI)
	s.route(routeQueues, admin, s.listQueues)
	s.route(routePauseQueue, admin, s.pauseQueue)
	s.route(routeResumeQueue, admin, s.resumeQueue)
	s.route(routeStats, admin, s.stats)
	s.consoleRoutes()

	s.route(routeHealth, public, s.healthAll)
	s.route(routeHealthRedis, public, s.healthRedis)
	s.route(routeHealthDB, public, s.healthDB)
	metricsPolicy := public
	if s.cfg.MetricsAuth {
		metricsPolicy = admin
	}
	prom := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry, ErrorLog: promLogger{s}})
	s.route(routeMetrics, metricsPolicy, func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		prom.ServeHTTP(w, r)
		return nil
	})
}

// promLogger sends promhttp's errors to the server log.
type promLogger struct{ s *Server }

func (l promLogger) Println(v ...any) { l.s.log.Warn("metrics exposition", "error", v) }
