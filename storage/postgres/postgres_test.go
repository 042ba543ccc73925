package postgres_test

import (
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/storagetest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestStorageAdapter(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) taskq.StorageAdapter {
		return postgres.NewTestStore(t, postgres.Config{})
	})
}
