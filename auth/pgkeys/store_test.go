package pgkeys_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/auth/keystoretest"
	"github.com/taskq/taskq/auth/pgkeys"
	"github.com/taskq/taskq/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// pool returns a pool on a new database for a top-level test; the test's
// stores each get a schema of their own in it, which is also what keeps
// them apart.
func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	p, err := pgxpool.New(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func newSchema() string { return "k_" + strings.ToLower(rand.Text()[:12]) }

func TestKeyStore(t *testing.T) {
	t.Parallel()
	p := pool(t)
	keystoretest.Run(t, func(t *testing.T) auth.KeyStore {
		s, err := pgkeys.New(t.Context(), p, pgkeys.Config{Schema: newSchema()})
		require.NoError(t, err)
		return s
	})
}

// Stores on two schemas do not see each other's keys; a second store on
// the same schema migrates nothing and sees them.
func TestSchemasAreIndependent(t *testing.T) {
	t.Parallel()
	p, ctx := pool(t), t.Context()
	a, b := newSchema(), newSchema()
	sa, err := pgkeys.New(ctx, p, pgkeys.Config{Schema: a})
	require.NoError(t, err)
	sb, err := pgkeys.New(ctx, p, pgkeys.Config{Schema: b})
	require.NoError(t, err)
	k := &auth.APIKey{ID: "k1", Name: "n", Role: auth.RoleUser, Hash: []byte{1, 2, 3}}
	require.NoError(t, sa.CreateAPIKey(ctx, k))
	_, err = sb.GetAPIKey(ctx, "k1")
	require.ErrorIs(t, err, taskq.ErrNotFound)
	require.NoError(t, sb.CreateAPIKey(ctx, k), "same id and hash in another schema")

	again, err := pgkeys.New(ctx, p, pgkeys.Config{Schema: a})
	require.NoError(t, err)
	got, err := again.GetAPIKey(ctx, "k1")
	require.NoError(t, err)
	require.Equal(t, "n", got.Name)
	var tables []string
	rows, err := p.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, a)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"api_key_migrations", "api_keys"}, tables)
}

func TestConfig(t *testing.T) {
	t.Parallel()
	_, err := pgkeys.New(t.Context(), nil, pgkeys.Config{})
	require.ErrorContains(t, err, "pool")
	for _, bad := range []string{"Taskq", "a-b", `x"; DROP TABLE t; --`, "pg_catalog", strings.Repeat("a", 64)} {
		// Rejected before the pool is used.
		_, err := pgkeys.New(t.Context(), &pgxpool.Pool{}, pgkeys.Config{Schema: bad})
		require.ErrorContains(t, err, "Config.Schema", bad)
	}
}
