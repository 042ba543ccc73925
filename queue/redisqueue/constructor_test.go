package redisqueue_test

import (
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
)

// TestNewFromURLWithoutAddress checks that a missing Redis address is an
// invalid-input error naming the setting to fill in, before any dial.
func TestNewFromURLWithoutAddress(t *testing.T) {
	t.Parallel()
	clearAddr := func(o *rueidis.ClientOption) { o.InitAddress = nil }
	for name, c := range map[string]struct {
		url string
		cfg redisqueue.Config
	}{
		"empty":              {url: ""},
		"blank":              {url: "  "},
		"unix without path":  {url: "unix://"},
		"option clears addr": {url: "redis://127.0.0.1:1", cfg: redisqueue.Config{ClientOption: clearAddr}},
	} {
		q, err := redisqueue.NewFromURL(c.url, c.cfg)
		require.Nil(t, q, name)
		require.ErrorIs(t, err, taskq.ErrInvalidInput, name)
		require.ErrorContains(t, err, "TASKQ_REDIS_URL", name)
		require.ErrorContains(t, err, "no Redis address", name)
	}
}
