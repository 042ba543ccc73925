package redisqueue

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq/internal/names"
)

// DefaultKeyPrefix is the key prefix used when Config.KeyPrefix is empty.
const DefaultKeyPrefix = "taskq"

// DefaultPromoteBatch is the most due scheduled entries one Lease promotes
// when Config.PromoteBatch is zero.
const DefaultPromoteBatch = 1000

// DefaultScriptBatch is the most ids or entries one script call carries when
// Config.ScriptBatch is zero.
const DefaultScriptBatch = 1000

// DefaultLimitScan is how many ready entries per priority a Lease under
// taskq.Limits looks at, at most, when Config.LimitScan is zero.
const DefaultLimitScan = 1000

// Config configures a Queue. The zero value works.
type Config struct {
	// KeyPrefix starts every key, so several applications can share one
	// Redis. It must be a valid name (letters, digits and ._:-/). Default
	// "taskq". A prefix belongs to one deployment (one storage): a second
	// deployment on it is refused (see BindStorage).
	KeyPrefix string
	// Logger receives warnings (a lost pub/sub subscription, say); nil
	// discards them.
	Logger *slog.Logger
	// PromoteBatch bounds how many due scheduled entries one Lease call
	// moves to the ready sets, so a burst of due entries never blocks Redis
	// for long. Default 1000.
	PromoteBatch int
	// ScriptBatch bounds how many ids or entries one script call carries;
	// larger calls are split into several script calls pipelined in one
	// round trip. Default 1000.
	ScriptBatch int
	// LimitScan bounds how many ready entries of each priority, from the
	// head, one Lease under taskq.Limits looks at to find entries whose
	// type is not at its cap, so that the Lua script never blocks Redis
	// for long: an entry behind more than LimitScan capped entries of its
	// priority waits until they move. Default 1000.
	LimitScan int
	// Now, when set, replaces the Redis server's clock (tests): it is then
	// the time of every operation whose LeaseParams.Now is zero. Default
	// nil: the scripts read the server's clock (TIME), so promotion of
	// scheduled entries and lease expiry do not depend on the clocks of
	// the processes sharing the queue. Only the run-at of a scheduled
	// entry comes from its producer's clock, and the wait for it from the
	// waiter's (bounded by the caller's maximum wait).
	Now func() time.Time
	// ClientOption, when set, adjusts the rueidis options NewFromURL
	// builds before the client is created (timeouts, TLS, pool sizes).
	// New ignores it.
	ClientOption func(*rueidis.ClientOption)
}

func (c Config) withDefaults() (Config, error) {
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if !names.Valid(c.KeyPrefix, 64) || strings.ContainsAny(c.KeyPrefix, "{}") {
		return c, fmt.Errorf("redisqueue: KeyPrefix %q must be 1-64 letters, digits and ._:-/", c.KeyPrefix)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PromoteBatch <= 0 {
		c.PromoteBatch = DefaultPromoteBatch
	}
	if c.ScriptBatch <= 0 {
		c.ScriptBatch = DefaultScriptBatch
	}
	if c.LimitScan <= 0 {
		c.LimitScan = DefaultLimitScan
	}
	return c, nil
}
