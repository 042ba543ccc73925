package server

import (
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/worker"
)

// MaintenanceElectionName is the leader election name of the server's
// maintenance: the replicas sharing a backend elect one whose worker runs
// the reaper, the reconciler, the task retention (TASKQ_TASK_RETENTION) and
// the DLQ cleanup. It is held on the same lease store as the periodic
// scheduler's (see ElectionName), as its own election.
const MaintenanceElectionName = "taskq-server-maintenance"

// maintenance sets the worker's maintenance: elected on the lease store of
// the deployment (PostgreSQL, else Redis, else process memory: one
// replica), with the task retention and the DLQ cleanup job. A replica
// that dies while elected is replaced within the election's TTL plus its
// retry interval (a third of the TTL): 10s + 3.3s by default
// (TASKQ_ELECTION_TTL).
func (s *Server) maintenance(wcfg *worker.Config) error {
	ls, err := leaseStore(s.store, s.queue)
	if err != nil {
		return err
	}
	e, err := leader.New(ls, leader.Config{Name: MaintenanceElectionName, TTL: s.cfg.ElectionTTL, Logger: s.log})
	if err != nil {
		return err
	}
	wcfg.Elector = e
	wcfg.TaskRetention = s.cfg.TaskRetention
	wcfg.Maintenance = s.dlqJob.RunCleanup
	return nil
}
