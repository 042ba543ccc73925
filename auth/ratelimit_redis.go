package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// DefaultRateLimitPrefix prefixes the Redis keys of a RedisLimiter.
const DefaultRateLimitPrefix = "taskq:ratelimit:"

// gcraScript runs GCRA decisions for n events of one key, in order,
// atomically. Times are microseconds (exact in Lua's doubles). KEYS[1]
// holds the theoretical arrival time. ARGV: emission interval, burst, now
// (negative = use the server's TIME), n. The first k events pass, where
// k is how many of the n fit: deciding them one by one gives the same k,
// as a denied event consumes nothing and leaves the next one denied too.
// Reply: {k, base}, base being max(tat, now) - now before the events,
// from which the caller derives each event's decision (see decisions).
const gcraScript = `
local t = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
if now < 0 then
  local tm = redis.call('TIME')
  now = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '') or now
if tat < now then tat = now end
local base = tat - now
local k = math.floor((burst * t - base) / t)
if k > n then k = n end
if k < 0 then k = 0 end
if k > 0 then
  local new_tat = tat + k * t
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
end
return {k, base}
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
// Redis: each decision is made by a Lua script on one key, atomically, so
// the limit holds exactly across replicas. Concurrent Allow calls of one
// key (and limit) are coalesced: a call that finds none of that key in
// flight goes out at once; calls arriving meanwhile wait for it and go
// out together as one script call deciding each of them in order, as
// separate calls would have. So a busy key costs one round trip per
// round trip's worth of requests, not one per request.
type RedisLimiter struct {
	client rueidis.Client
	cfg    RedisLimiterConfig

	mu       sync.Mutex
	inFlight map[limitKey]*limitQueue // keys with a script call in flight
}

// limitKey names the events that may share one script call.
type limitKey struct {
	key  string
	t, b int64
}

// limitQueue holds the calls of a key waiting for its call in flight.
type limitQueue struct{ waiting []*limitCall }

// limitCall is one Allow call waiting for its batch.
type limitCall struct {
	ctx  context.Context
	d    Decision
	err  error
	done chan struct{}
}

// maxLimitBatch bounds the events of one script call.
const maxLimitBatch = 1024

// batchTimeout bounds a script call sent for waiting calls.
const batchTimeout = 5 * time.Second

var _ Limiter = (*RedisLimiter)(nil)

// NewRedisLimiter returns a Limiter on client.
func NewRedisLimiter(client rueidis.Client, cfg RedisLimiterConfig) (*RedisLimiter, error) {
	if client == nil {
		return nil, errors.New("auth: NewRedisLimiter: nil rueidis.Client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultRateLimitPrefix
	}
	return &RedisLimiter{client: client, cfg: cfg, inFlight: map[limitKey]*limitQueue{}}, nil
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
	lk := limitKey{key: key, t: t, b: b}
	c := &limitCall{ctx: ctx}
	l.mu.Lock()
	if q, ok := l.inFlight[lk]; ok {
		c.done = make(chan struct{})
		q.waiting = append(q.waiting, c)
		l.mu.Unlock()
		select {
		case <-c.done:
			return c.d, c.err
		case <-ctx.Done():
			return Decision{}, taskq.WrapError(taskq.CodeServiceUnavailable, "rate limiter unavailable", ctx.Err())
		}
	}
	l.inFlight[lk] = &limitQueue{}
	l.mu.Unlock()
	rk := l.redisKey(key)
	l.exec(ctx, lk, rk, limit, []*limitCall{c})
	if next := l.takeNext(lk); next != nil {
		go l.loop(lk, rk, limit, next)
	}
	return c.d, c.err
}

// loop sends the batches of lk until none waits.
func (l *RedisLimiter) loop(lk limitKey, rk string, limit Limit, batch []*limitCall) {
	for batch != nil {
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		l.exec(ctx, lk, rk, limit, batch)
		cancel()
		for _, c := range batch {
			close(c.done)
		}
		batch = l.takeNext(lk)
	}
}

// takeNext returns the next batch of lk, or forgets lk and returns nil
// when no call waits.
func (l *RedisLimiter) takeNext(lk limitKey) []*limitCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.inFlight[lk]
	if len(q.waiting) == 0 {
		delete(l.inFlight, lk)
		return nil
	}
	n := min(len(q.waiting), maxLimitBatch)
	batch := q.waiting[:n:n]
	q.waiting = q.waiting[n:]
	return batch
}

// exec decides the events of batch, in order, with one script call on the
// Redis key rk, and sets each call's decision or error.
func (l *RedisLimiter) exec(ctx context.Context, lk limitKey, rk string, limit Limit, batch []*limitCall) {
	now := int64(-1)
	if l.cfg.Now != nil {
		now = l.cfg.Now().UnixMicro()
	}
	args := []string{strconv.FormatInt(lk.t, 10), strconv.FormatInt(lk.b, 10), strconv.FormatInt(now, 10), strconv.Itoa(len(batch))}
	v, err := gcraLua.Exec(ctx, l.client, []string{rk}, args).AsIntSlice()
	if err == nil && len(v) != 2 {
		err = errors.New("unexpected reply")
	}
	if err != nil {
		for _, c := range batch {
			if l.cfg.Fallback != nil && c.ctx.Err() == nil {
				c.d, c.err = l.cfg.Fallback.Allow(c.ctx, lk.key, limit)
				continue
			}
			c.err = taskq.WrapError(taskq.CodeServiceUnavailable, "rate limiter unavailable", err)
		}
		return
	}
	decisions(batch, int(v[0]), v[1], lk.t, lk.b)
}

// decisions sets the decisions of the calls of batch, the first k of which
// passed, from base (the theoretical arrival time before them, relative to
// now): each call gets the decision it would have got alone, in order.
func decisions(batch []*limitCall, k int, base, t, b int64) {
	tat := base
	for i, c := range batch {
		// The script's k decides; the two agree but for rounding in
		// Lua's doubles, which must never let more events pass than
		// Redis counted.
		var d Decision
		if i < k {
			tat, d = gcra(tat, 0, t, b)
			d.Allowed, d.RetryAfter = true, 0
		} else {
			_, d = gcra(tat, 0, t, b)
			if d.Allowed {
				d = Decision{Limit: int(b), ResetAfter: time.Duration(tat), RetryAfter: time.Duration(t)}
			}
		}
		d.ResetAfter *= time.Microsecond
		d.RetryAfter *= time.Microsecond
		c.d = d
	}
}
