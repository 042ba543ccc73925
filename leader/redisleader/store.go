package redisleader

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/leader"
)

// DefaultKeyPrefix is the key prefix used when Config.KeyPrefix is empty
// (the same default as package redisqueue).
const DefaultKeyPrefix = "taskq"

// Config configures a Store. The zero value works.
type Config struct {
	// KeyPrefix starts every key: letters, digits and ._:-/, at most 64.
	// Default "taskq".
	KeyPrefix string
}

// Store is a leader.Store on Redis. It is safe for concurrent use.
type Store struct {
	client rueidis.Client
	prefix string
}

var _ leader.Store = (*Store)(nil)

// New returns a Store on client, which the caller keeps owning (the
// queue's client, from redisqueue.Queue.Client, works).
func New(client rueidis.Client, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisleader: New needs a rueidis.Client")
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if !names.Valid(cfg.KeyPrefix, 64) || strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return nil, fmt.Errorf("redisleader: KeyPrefix %q must be 1-64 letters, digits and ._:-/", cfg.KeyPrefix)
	}
	return &Store{client: client, prefix: cfg.KeyPrefix}, nil
}

// keys returns the lease and token keys of name, in one hash slot.
func (s *Store) keys(name string) []string {
	tag := "{" + s.prefix + ":leader:" + name + "}"
	return []string{tag + ":lease", tag + ":token"}
}

// acquireScript: KEYS lease, token; ARGV holder, ttl ms.
var acquireScript = rueidis.NewLuaScript(`
if redis.call('SET', KEYS[1], '', 'NX', 'PX', ARGV[2]) == false then return 0 end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t .. ':' .. ARGV[1], 'KEEPTTL')
return t
`)

// renewScript: KEYS lease; ARGV value, ttl ms.
var renewScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// releaseScript: KEYS lease; ARGV value.
var releaseScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

func value(holder string, token int64) string { return strconv.FormatInt(token, 10) + ":" + holder }

func ttlMillis(d time.Duration) string { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }

// Acquire implements leader.Store.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	tok, err := acquireScript.Exec(ctx, s.client, s.keys(name), []string{holder, ttlMillis(ttl)}).AsInt64()
	if err != nil {
		return 0, false, unavailable("acquire", err)
	}
	return tok, tok > 0, nil
}

// Renew implements leader.Store.
func (s *Store) Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (bool, error) {
	n, err := renewScript.Exec(ctx, s.client, s.keys(name)[:1], []string{value(holder, token), ttlMillis(ttl)}).AsInt64()
	if err != nil {
		return false, unavailable("renew", err)
	}
	return n == 1, nil
}

// Release implements leader.Store.
func (s *Store) Release(ctx context.Context, name, holder string, token int64) error {
	if err := releaseScript.Exec(ctx, s.client, s.keys(name)[:1], []string{value(holder, token)}).Error(); err != nil {
		return unavailable("release", err)
	}
	return nil
}

func unavailable(op string, err error) error {
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "redisleader: " + op + " failed", Err: err}
}
