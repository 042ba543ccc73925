package postgres

import (
	"context"

	"github.com/google/uuid"
)

const (
	// insertStorageIDSQL creates the identity unless one exists; a
	// concurrent first use waits for the other insert and keeps its row.
	insertStorageIDSQL = `INSERT INTO {schema}.storage_identity (id) VALUES ($1) ON CONFLICT DO NOTHING`
	getStorageIDSQL    = `SELECT id::text FROM {schema}.storage_identity`
)

// StorageID returns the id of the data set in the store's schema: a UUID
// kept in a one-row table of the schema, created on first use (concurrent
// first uses agree on one). Every store on the same database and schema
// returns the same id; another schema has another.
func (s *Store) StorageID(ctx context.Context) (string, error) {
	const op = "storage id"
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.id != "" {
		return s.id, nil
	}
	if _, err := s.pool.Exec(ctx, s.q.insertStorageID, uuid.New()); err != nil {
		return "", mapError(op, err)
	}
	// A separate statement: its snapshot sees a row committed by a
	// concurrent first use that the insert above waited for.
	var id string
	if err := s.pool.QueryRow(ctx, s.q.getStorageID).Scan(&id); err != nil {
		return "", mapError(op, err)
	}
	s.id = id
	return id, nil
}
