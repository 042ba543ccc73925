package postgres_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/storagetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopSharedPostgres()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func TestStorageAdapter(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) taskq.StorageAdapter {
		return postgres.NewTestStore(t, postgres.Config{})
	})
}

func TestKeyStore(t *testing.T) {
	t.Parallel()
	storagetest.RunKeyStore(t, func(t *testing.T) taskq.KeyStore {
		return postgres.NewTestStore(t, postgres.Config{})
	})
}
