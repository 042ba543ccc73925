package redisqueue

import (
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisentry"
)

// queueKeys are the keys of one queue, in script order (see scripts.go and
// internal/redisentry). They all carry the hash tag {prefix:queue}, so they
// live in one cluster slot.
type queueKeys struct {
	tag  string
	keys []string
}

func newQueueKeys(prefix, queue string) queueKeys {
	return queueKeys{tag: redisentry.Tag(prefix, queue), keys: redisentry.Keys(prefix, queue)}
}

func (k queueKeys) ready(p taskq.TaskPriority) string { return k.keys[redisentry.KeyReady0+int(p)] }
func (k queueKeys) scheduled() string                 { return k.keys[redisentry.KeyScheduled] }
func (k queueKeys) leased() string                    { return k.keys[redisentry.KeyLeased] }
func (k queueKeys) notify() string                    { return k.keys[redisentry.KeyNotify] }

// queuesKey is the set of queue names; it has its own slot.
func queuesKey(prefix string) string { return redisentry.QueuesKey(prefix) }

// storageKey holds the id of the storage the key prefix is bound to (see
// BindStorage); it has its own slot.
func storageKey(prefix string) string { return prefix + ":storage" }
