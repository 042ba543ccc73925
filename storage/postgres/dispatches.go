package postgres

import "github.com/taskq/taskq"

// Dispatches implements taskq.Dispatcher: with Config.Dispatch, the store
// writes the entries of the tasks it creates into the Queue of its own
// pool and schema (Store.Queue, or NewQueue on the same pool).
func (s *Store) Dispatches(q taskq.Queue) bool {
	pq, ok := q.(*Queue)
	return ok && s.cfg.Dispatch && pq.pool == s.pool && pq.cfg.Schema == s.cfg.Schema
}
