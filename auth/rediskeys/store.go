package rediskeys

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/names"
)

// DefaultKeyPrefix is the key prefix used when Config.KeyPrefix is empty:
// that of storage/redisstore.
const DefaultKeyPrefix = "taskq"

// Config configures a Store. The zero value works.
type Config struct {
	// KeyPrefix names the data set: every key carries the hash tag
	// {KeyPrefix}. It must be 1-64 letters, digits and ._:-/. Default
	// "taskq". The reference server uses the prefix of its
	// storage/redisstore store.
	KeyPrefix string
}

// Store is an auth.KeyStore on Redis or Redis Cluster, safe for concurrent
// use.
type Store struct {
	client rueidis.Client
	k      keys
}

var _ auth.KeyStore = (*Store)(nil)

// keys are the Redis keys of a store.
type keys struct {
	tag, all, hashes string
}

func (k keys) key(id string) string { return k.tag + ":apikey:" + id }

// New returns a Store on client, which stays the caller's.
func New(client rueidis.Client, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("rediskeys: New needs a rueidis.Client")
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if !names.Valid(cfg.KeyPrefix, 64) || strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return nil, fmt.Errorf("rediskeys: KeyPrefix %q must be 1-64 letters, digits and ._:-/", cfg.KeyPrefix)
	}
	tag := "{" + cfg.KeyPrefix + "}"
	return &Store{client: client, k: keys{tag: tag, all: tag + ":apikeys", hashes: tag + ":apikey_hashes"}}, nil
}
