package redisqueue

import "github.com/taskq/taskq"

// Key indexes shared by every script (KEYS[i+1] in Lua).
const (
	keyReady0    = 0 // ready zsets (score = round), one per priority: keyReady0+p
	keyScheduled = taskq.NumPriorities
	keyLeased    = keyScheduled + 1
	keyEntries   = keyLeased + 1
	keyNotify    = keyEntries + 1  // the (shard) pub/sub channel
	keyTokens    = keyNotify + 1   // hash id -> token of the current lease
	keyTokenSeq  = keyTokens + 1   // counter of the lease tokens handed out
	keyTypes     = keyTokenSeq + 1 // hash id -> task type (typed entries only)
	keyBusy      = keyTypes + 1    // hash type -> number of leased entries
	keyRate      = keyBusy + 1     // hash of the start-rate token buckets
	keyOwners    = keyRate + 1     // hash id -> owner (entries with an owner only)
	keyFair0     = keyOwners + 1   // owner rounds, one hash per priority: keyFair0+p
	numKeys      = keyFair0 + taskq.NumPriorities
)

// queueKeys are the keys of one queue, in script order. They all carry the
// hash tag {prefix:queue}, so they live in one cluster slot.
type queueKeys struct {
	tag  string
	keys []string
}

func newQueueKeys(prefix, queue string) queueKeys {
	tag := "{" + prefix + ":" + queue + "}"
	k := make([]string, numKeys)
	for p := range taskq.NumPriorities {
		// Not ":ready:", the lists of earlier versions: a key left
		// behind by one is never read as a sorted set (WRONGTYPE).
		k[keyReady0+p] = tag + ":rounds:" + taskq.TaskPriority(p).String()
		k[keyFair0+p] = tag + ":fair:" + taskq.TaskPriority(p).String()
	}
	k[keyScheduled] = tag + ":scheduled"
	k[keyLeased] = tag + ":leased"
	k[keyEntries] = tag + ":entries"
	k[keyNotify] = tag + ":notify"
	k[keyTokens] = tag + ":tokens"
	k[keyTokenSeq] = tag + ":tokenseq"
	k[keyTypes] = tag + ":types"
	k[keyBusy] = tag + ":busy"
	k[keyRate] = tag + ":rate"
	k[keyOwners] = tag + ":owners"
	return queueKeys{tag: tag, keys: k}
}

func (k queueKeys) ready(p taskq.TaskPriority) string { return k.keys[keyReady0+int(p)] }
func (k queueKeys) scheduled() string                 { return k.keys[keyScheduled] }
func (k queueKeys) leased() string                    { return k.keys[keyLeased] }
func (k queueKeys) notify() string                    { return k.keys[keyNotify] }

// queuesKey is the set of queue names; it has its own slot.
func queuesKey(prefix string) string { return prefix + ":queues" }

// storageKey holds the id of the storage the key prefix is bound to (see
// BindStorage); it has its own slot.
func storageKey(prefix string) string { return prefix + ":storage" }
