package redisstore_test

import (
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/redisstore"
)

// TestNewFromURLWithoutAddress checks that a missing Redis address is an
// invalid-input error naming the setting to fill in, before any dial.
func TestNewFromURLWithoutAddress(t *testing.T) {
	t.Parallel()
	clearAddr := func(o *rueidis.ClientOption) { o.InitAddress = nil }
	for name, c := range map[string]struct {
		url string
		cfg redisstore.Config
	}{
		"empty":              {url: ""},
		"blank":              {url: "  "},
		"unix without path":  {url: "unix://"},
		"option clears addr": {url: "redis://127.0.0.1:1", cfg: redisstore.Config{ClientOption: clearAddr}},
	} {
		s, err := redisstore.NewFromURL(c.url, c.cfg)
		require.Nil(t, s, name)
		require.ErrorIs(t, err, taskq.ErrInvalidInput, name)
		require.ErrorContains(t, err, "TASKQ_REDIS_URL", name)
		require.ErrorContains(t, err, "no Redis address", name)
	}
}

// TestInvalidKeyPrefix checks that a prefix that could break the hash tag
// is refused.
func TestInvalidKeyPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"a{b", "x}", "sp ace"} {
		_, err := redisstore.NewFromURL("redis://127.0.0.1:1", redisstore.Config{KeyPrefix: p})
		require.Error(t, err, p)
		require.ErrorContains(t, err, "KeyPrefix", p)
	}
}
