package pgleader

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/pgschema"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/storage/postgres"
)

const (
	acquireSQL = `INSERT INTO {schema}.leader_leases AS l (name, holder, token, expires_at)
VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE
SET holder = EXCLUDED.holder, token = l.token + 1, expires_at = EXCLUDED.expires_at
WHERE l.expires_at <= clock_timestamp()
RETURNING token`
	renewSQL = `UPDATE {schema}.leader_leases
SET expires_at = clock_timestamp() + $4 * interval '1 millisecond'
WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()`
	releaseSQL = `UPDATE {schema}.leader_leases SET expires_at = clock_timestamp()
WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()`
)

// Store is a leader.Store in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool                    *pgxpool.Pool
	acquire, renew, release string
}

var _ leader.Store = (*Store)(nil)

// New returns a Store on the pool and in the schema of store, whose
// migrations created the leases table. The caller keeps owning store.
func New(store *postgres.Store) (*Store, error) {
	if store == nil {
		return nil, errors.New("pgleader: New needs a *postgres.Store")
	}
	ident := pgschema.Ident(store.Schema())
	x := func(sql string) string { return pgschema.Expand(sql, ident) }
	return &Store{pool: store.Pool(), acquire: x(acquireSQL), renew: x(renewSQL), release: x(releaseSQL)}, nil
}

// Acquire implements leader.Store.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	var tok int64
	err := s.pool.QueryRow(ctx, s.acquire, name, holder, ttl.Milliseconds()).Scan(&tok)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, unavailable("acquire", err)
	}
	return tok, true, nil
}

// Renew implements leader.Store.
func (s *Store) Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, s.renew, name, holder, token, ttl.Milliseconds())
	if err != nil {
		return false, unavailable("renew", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release implements leader.Store.
func (s *Store) Release(ctx context.Context, name, holder string, token int64) error {
	if _, err := s.pool.Exec(ctx, s.release, name, holder, token); err != nil {
		return unavailable("release", err)
	}
	return nil
}

func unavailable(op string, err error) error {
	return &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "pgleader: " + op + " failed", Err: err}
}
