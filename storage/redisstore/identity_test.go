package redisstore_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
)

// TestStorageID checks that stores opened concurrently on one prefix agree
// on one UUID on first use, that it stays, and that another prefix is
// another data set.
func TestStorageID(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	ctx := ctxT(t)
	prefix := uniquePrefix()
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := newStore(t, srv.URL(), redisstore.Config{KeyPrefix: prefix})
		wg.Go(func() { ids[i], errs[i] = s.StorageID(ctx) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i], "store %d", i)
	}
	_, err := uuid.Parse(ids[0])
	require.NoError(t, err, "the id is a UUID")
	stored, err := srv.Do("GET", "{"+prefix+"}:storage_id")
	require.NoError(t, err)
	require.Equal(t, ids[0], stored)

	again, err := newStore(t, srv.URL(), redisstore.Config{KeyPrefix: prefix}).StorageID(ctx)
	require.NoError(t, err)
	require.Equal(t, ids[0], again)
	other, err := newStore(t, srv.URL(), redisstore.Config{}).StorageID(ctx)
	require.NoError(t, err)
	require.NotEqual(t, ids[0], other, "another prefix is another data set")
}
