package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
)

// A storage the server does not know needs Deps.Keys.
func TestKeyStoreNeededForOtherStorages(t *testing.T) {
	t.Parallel()
	_, err := New(Config{AdminKey: testAdminKey}, Deps{Store: &faultStore{Memory: storage.NewMemory()}})
	require.ErrorContains(t, err, "set Deps.Keys")
	b := setup(t, Config{}, Deps{Store: &faultStore{Memory: storage.NewMemory()}, Keys: auth.NewMemoryKeyStore()}, false)
	_, key := b.newKey("k", auth.RoleUser)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: key}).Code)
}

// Over the PostgreSQL storage the server keeps API keys in the storage's
// schema, with their own migrations.
func TestKeysInTheStorageSchema(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewDatabase(t)
	st, err := postgres.Open(context.Background(), url, postgres.Config{Schema: "tenant_x"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	b := setup(t, Config{}, Deps{Store: st}, false)
	id, key := b.newKey("k", auth.RoleUser)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: key}).Code)
	var n int
	require.NoError(t, st.Pool().QueryRow(t.Context(), "SELECT count(*) FROM tenant_x.api_keys WHERE id = $1", id).Scan(&n))
	require.Equal(t, 1, n)
	var migrated bool
	require.NoError(t, st.Pool().QueryRow(t.Context(),
		"SELECT to_regclass('tenant_x.api_key_migrations') IS NOT NULL AND to_regclass('public.api_keys') IS NULL").Scan(&migrated))
	require.True(t, migrated)
}
