package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// commitRate measures the single-client commit rate of the run's
// PostgreSQL: one connection inserting one row per transaction
// (autocommit) for dur, in a database of its own. It is the reference for
// the single-producer enqueue rates of the PostgreSQL systems, each of
// whose enqueues is at least one durable commit.
func commitRate(ctx context.Context, e *env, dur time.Duration) (float64, error) {
	db, drop, err := e.phaseDB(ctx, "")
	if err != nil {
		return 0, err
	}
	defer func() { _ = drop() }()
	conn, err := pgx.Connect(ctx, e.srv.pgURL(db))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE TABLE ref (id bigserial PRIMARY KEY, payload text NOT NULL)"); err != nil {
		return 0, err
	}
	p := newPayload(time.Now())
	n := 0
	start := time.Now()
	for time.Since(start) < dur {
		if _, err := conn.Exec(ctx, "INSERT INTO ref (payload) VALUES ($1)", p.Pad); err != nil {
			return 0, fmt.Errorf("insert: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
