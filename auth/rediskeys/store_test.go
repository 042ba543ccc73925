package rediskeys_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/auth/keystoretest"
	"github.com/taskq/taskq/auth/rediskeys"
	"github.com/taskq/taskq/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// client returns a client of r that does not retry reads (rueidis' default
// retries them until the context ends).
func client(t *testing.T, r *testenv.Redis) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr()}, DisableCache: true, DisableRetry: true})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func newPrefix() string { return "k" + strings.ToLower(rand.Text()[:12]) }

func TestKeyStore(t *testing.T) {
	t.Parallel()
	c := client(t, testenv.StartRedis(t))
	keystoretest.Run(t, func(t *testing.T) auth.KeyStore {
		s, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: newPrefix()})
		require.NoError(t, err)
		return s
	})
}

// Stores on two prefixes do not see each other's keys; a second store on
// the same prefix (another replica) sees them.
func TestPrefixesAreIndependent(t *testing.T) {
	t.Parallel()
	c, ctx := client(t, testenv.StartRedis(t)), t.Context()
	a, b := newPrefix(), newPrefix()
	sa, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: a})
	require.NoError(t, err)
	sb, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: b})
	require.NoError(t, err)
	k := &auth.APIKey{ID: "k1", Name: "n", Role: auth.RoleUser, Hash: []byte{1, 2, 3}}
	require.NoError(t, sa.CreateAPIKey(ctx, k))
	_, err = sb.GetAPIKey(ctx, "k1")
	require.ErrorIs(t, err, taskq.ErrNotFound)
	require.NoError(t, sb.CreateAPIKey(ctx, k), "same id and hash under another prefix")

	again, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: a})
	require.NoError(t, err)
	got, err := again.GetAPIKeyByHash(ctx, []byte{1, 2, 3})
	require.NoError(t, err)
	require.Equal(t, "k1", got.ID)
}

func TestInvalidPrefix(t *testing.T) {
	t.Parallel()
	c := client(t, testenv.StartRedis(t))
	for _, p := range []string{"a{b}", "has space", strings.Repeat("x", 65)} {
		_, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: p})
		require.Error(t, err, p)
	}
	_, err := rediskeys.New(nil, rediskeys.Config{})
	require.Error(t, err)
}

// A Redis that stopped answering gives errors matching ErrUnavailable.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	c := client(t, r)
	s, err := rediskeys.New(c, rediskeys.Config{KeyPrefix: newPrefix()})
	require.NoError(t, err)
	r.Stop(t)
	_, err = s.GetAPIKey(t.Context(), "k1")
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	err = s.CreateAPIKey(t.Context(), &auth.APIKey{ID: "k1", Hash: []byte{1}})
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}
