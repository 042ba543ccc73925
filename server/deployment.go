package server

import (
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
)

// Deployments of the server: which backends hold the task records and the
// dispatch state. The configuration picks one (see OpenBackends); /health
// reports it.
const (
	// deployMemory keeps everything in the process (no TASKQ_REDIS_URL,
	// no TASKQ_DATABASE_URL).
	deployMemory = "memory"
	// deployPostgres keeps records and dispatch in PostgreSQL
	// (TASKQ_DATABASE_URL only).
	deployPostgres = "postgres"
	// deployRedis keeps records and dispatch in Redis (TASKQ_REDIS_URL
	// only).
	deployRedis = "redis"
	// deployRedisPostgres dispatches through Redis and keeps the
	// records in PostgreSQL (both URLs).
	deployRedisPostgres = "redis+postgres"
	// deployCustom is any other pair of backends given in Deps.
	deployCustom = "custom"
)

// deploymentOf names the deployment of a pair of backends.
func deploymentOf(store taskq.StorageAdapter, q taskq.Queue) string {
	switch store.(type) {
	case *storage.Memory:
		if _, ok := q.(*queue.Memory); ok {
			return deployMemory
		}
	case *postgres.Store:
		switch q.(type) {
		case *postgres.Queue:
			return deployPostgres
		case *redisqueue.Queue:
			return deployRedisPostgres
		}
	case *redisstore.Store:
		if _, ok := q.(*redisqueue.Queue); ok {
			return deployRedis
		}
	}
	return deployCustom
}

// deploymentOfConfig names the deployment the URLs of c select.
func deploymentOfConfig(c Config) string {
	switch {
	case c.RedisURL != "" && c.DatabaseURL != "":
		return deployRedisPostgres
	case c.RedisURL != "":
		return deployRedis
	case c.DatabaseURL != "":
		return deployPostgres
	}
	return deployMemory
}
