package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// DefaultRateLimitPrefix prefixes the Redis keys of a RedisLimiter.
const DefaultRateLimitPrefix = "taskq:ratelimit:"

// gcraScript runs one GCRA decision atomically. Times are microseconds
// (exact in Lua's doubles). KEYS[1] holds the theoretical arrival time.
// ARGV: emission interval, burst, now (negative = use the server's TIME).
// Reply: {allowed, remaining, reset_after_us, retry_after_us}.
const gcraScript = `
local t = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local tm = redis.call('TIME')
  now = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '') or now
if tat < now then tat = now end
local new_tat = tat + t
local allow_at = new_tat - burst * t
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / t), new_tat - now, 0}
`

var gcraLua = rueidis.NewLuaScript(gcraScript)

// RedisLimiterConfig configures a RedisLimiter. The zero value works.
type RedisLimiterConfig struct {
	// Prefix starts every key; default DefaultRateLimitPrefix. Keys are
	// Prefix + "{" + key + "}" (the key hashed when it holds braces or is
	// long), so each limiter key is a Redis Cluster hash tag of its own.
	Prefix string
	// Now is the clock; default (nil) is the Redis server's clock, shared
	// by every replica so their clocks need not agree.
	Now func() time.Time
	// Fallback, when set, answers while Redis is unreachable (typically a
	// MemoryLimiter, limiting per replica); otherwise Allow returns a
	// service_unavailable error.
	Fallback Limiter
}

// RedisLimiter is a GCRA Limiter shared by every process using the same
// Redis: each decision is one Lua call on one key.
type RedisLimiter struct {
	client rueidis.Client
	cfg    RedisLimiterConfig
}

var _ Limiter = (*RedisLimiter)(nil)

// NewRedisLimiter returns a Limiter on client.
func NewRedisLimiter(client rueidis.Client, cfg RedisLimiterConfig) (*RedisLimiter, error) {
	if client == nil {
		return nil, errors.New("auth: NewRedisLimiter: nil rueidis.Client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultRateLimitPrefix
	}
	return &RedisLimiter{client: client, cfg: cfg}, nil
}

// redisKey returns the Redis key of a limiter key.
func (l *RedisLimiter) redisKey(key string) string {
	if len(key) > 128 || strings.ContainsAny(key, "{}") {
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:])
	}
	return l.cfg.Prefix + "{" + key + "}"
}

// Allow implements Limiter.
func (l *RedisLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	t, b, err := limit.params(time.Microsecond)
	if err != nil {
		return Decision{}, err
	}
	now := int64(-1)
	if l.cfg.Now != nil {
		now = l.cfg.Now().UnixMicro()
	}
	args := []string{strconv.FormatInt(t, 10), strconv.FormatInt(b, 10), strconv.FormatInt(now, 10)}
	v, err := gcraLua.Exec(ctx, l.client, []string{l.redisKey(key)}, args).AsIntSlice()
	if err == nil && len(v) != 4 {
		err = errors.New("unexpected reply")
	}
	if err != nil {
		if l.cfg.Fallback != nil && ctx.Err() == nil {
			return l.cfg.Fallback.Allow(ctx, key, limit)
		}
		return Decision{}, taskq.WrapError(taskq.CodeServiceUnavailable, "rate limiter unavailable", err)
	}
	return Decision{
		Allowed:    v[0] == 1,
		Limit:      int(b),
		Remaining:  int(v[1]),
		ResetAfter: time.Duration(v[2]) * time.Microsecond,
		RetryAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}
