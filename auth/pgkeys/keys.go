package pgkeys

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/pgschema"
)

const (
	keyColumns      = `id, name, role, hash, created, expires_at, revoked_at, last_used`
	createKeySQL    = `INSERT INTO {schema}.api_keys (` + keyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	getKeyByHashSQL = `SELECT ` + keyColumns + ` FROM {schema}.api_keys WHERE hash = $1`
	getKeySQL       = `SELECT ` + keyColumns + ` FROM {schema}.api_keys WHERE id = $1`
	listKeysSQL     = `SELECT ` + keyColumns + ` FROM {schema}.api_keys ORDER BY created, id`
	// A second revocation keeps the first time.
	revokeKeySQL = `UPDATE {schema}.api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`
	// Concurrent uses never move last_used backwards.
	touchKeySQL = `UPDATE {schema}.api_keys SET last_used = greatest(last_used, $2) WHERE id = $1`
)

// statements are the statements of a store, its schema filled in.
type statements struct {
	create, getByHash, get, list, revoke, touch string
}

func newStatements(schema string) statements {
	ident := pgschema.Ident(schema)
	x := func(sql string) string { return pgschema.Expand(sql, ident) }
	return statements{create: x(createKeySQL), getByHash: x(getKeyByHashSQL), get: x(getKeySQL),
		list: x(listKeysSQL), revoke: x(revokeKeySQL), touch: x(touchKeySQL)}
}

func scanKey(row pgx.Row) (*auth.APIKey, error) {
	var (
		k    auth.APIKey
		role string
	)
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Hash, &k.Created, &k.ExpiresAt, &k.RevokedAt, &k.LastUsed); err != nil {
		return nil, err
	}
	k.Role = auth.Role(role)
	k.Created = k.Created.UTC()
	for _, p := range []*time.Time{k.ExpiresAt, k.RevokedAt, k.LastUsed} {
		if p != nil {
			*p = p.UTC()
		}
	}
	return &k, nil
}

// CreateAPIKey stores a new key (its hash only). An existing id or hash
// gives an error matching taskq.ErrConflict.
func (s *Store) CreateAPIKey(ctx context.Context, k *auth.APIKey) error {
	const op = "create api key"
	if k == nil || k.ID == "" || len(k.Hash) == 0 {
		return &taskq.Error{Code: taskq.CodeInvalidInput, Message: "pgkeys: " + op + ": key needs an id and a hash"}
	}
	_, err := s.pool.Exec(ctx, s.q.create, k.ID, k.Name, string(k.Role), k.Hash, k.Created,
		k.ExpiresAt, k.RevokedAt, k.LastUsed)
	return mapError(op, err)
}

// GetAPIKeyByHash returns the key whose hash equals hash (revoked and
// expired ones included), or ErrNotFound.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*auth.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, s.q.getByHash, hash))
	if err != nil {
		return nil, mapError("get api key", err)
	}
	return k, nil
}

// GetAPIKey returns a key by id, or ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*auth.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, s.q.get, id))
	if err != nil {
		return nil, mapError("get api key", err)
	}
	return k, nil
}

// ListAPIKeys returns every key, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]*auth.APIKey, error) {
	const op = "list api keys"
	rows, err := s.pool.Query(ctx, s.q.list)
	if err != nil {
		return nil, mapError(op, err)
	}
	defer rows.Close()
	keys := make([]*auth.APIKey, 0)
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, mapError(op, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(op, err)
	}
	return keys, nil
}

// RevokeAPIKey marks a key revoked at now (a revoked key keeps its first
// revocation time), or returns ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.updateKey(ctx, "revoke api key", s.q.revoke, id, now)
}

// TouchAPIKey records a use of the key at now (last_used never moves
// backwards), or returns ErrNotFound.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.updateKey(ctx, "touch api key", s.q.touch, id, now)
}

func (s *Store) updateKey(ctx context.Context, op, stmt, id string, now time.Time) error {
	ct, err := s.pool.Exec(ctx, stmt, id, now)
	if err != nil {
		return mapError(op, err)
	}
	if ct.RowsAffected() == 0 {
		return &taskq.Error{Code: taskq.CodeNotFound, Message: "pgkeys: " + op + ": not found"}
	}
	return nil
}
