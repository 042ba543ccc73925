package redisentry

import "github.com/taskq/taskq"

// Key indexes of a queue (KEYS[i+1] in the queue's scripts).
const (
	KeyReady0    = 0 // ready zsets (score = round), one per priority: KeyReady0+p
	KeyScheduled = taskq.NumPriorities
	KeyLeased    = KeyScheduled + 1
	KeyEntries   = KeyLeased + 1
	KeyNotify    = KeyEntries + 1  // the (shard) pub/sub channel
	KeyTokens    = KeyNotify + 1   // hash id -> token of the current lease
	KeyTokenSeq  = KeyTokens + 1   // counter of the lease tokens handed out
	KeyTypes     = KeyTokenSeq + 1 // hash id -> task type (typed entries only)
	KeyBusy      = KeyTypes + 1    // hash type -> number of leased entries
	KeyRate      = KeyBusy + 1     // hash of the start-rate token buckets
	KeyOwners    = KeyRate + 1     // hash id -> owner (entries with an owner only)
	KeyFair0     = KeyOwners + 1   // owner rounds, one hash per priority: KeyFair0+p
	NumKeys      = KeyFair0 + taskq.NumPriorities
)

// suffixes are the key names of a queue after its hash tag, by index.
var suffixes = func() []string {
	s := make([]string, NumKeys)
	for p := range taskq.NumPriorities {
		// Not ":ready:", the lists of earlier versions: a key left
		// behind by one is never read as a sorted set (WRONGTYPE).
		s[KeyReady0+p] = ":rounds:" + taskq.TaskPriority(p).String()
		s[KeyFair0+p] = ":fair:" + taskq.TaskPriority(p).String()
	}
	s[KeyScheduled] = ":scheduled"
	s[KeyLeased] = ":leased"
	s[KeyEntries] = ":entries"
	s[KeyNotify] = ":notify"
	s[KeyTokens] = ":tokens"
	s[KeyTokenSeq] = ":tokenseq"
	s[KeyTypes] = ":types"
	s[KeyBusy] = ":busy"
	s[KeyRate] = ":rate"
	s[KeyOwners] = ":owners"
	return s
}()

// Tag is the hash tag of queue's keys under prefix: {prefix:queue}. All of
// a queue's keys carry it, so they live in one cluster slot.
func Tag(prefix, queue string) string { return "{" + prefix + ":" + queue + "}" }

// Keys returns the keys of queue under prefix, by index.
func Keys(prefix, queue string) []string {
	tag := Tag(prefix, queue)
	k := make([]string, NumKeys)
	for i, s := range suffixes {
		k[i] = tag + s
	}
	return k
}

// QueuesKey is the set of queue names under prefix; it has its own slot.
func QueuesKey(prefix string) string { return prefix + ":queues" }
