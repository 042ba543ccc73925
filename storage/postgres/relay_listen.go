package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// One relay per schema listens; the others sweep. Every worker runs a
// relay, and a notification that woke them all would have each of them
// look for the same rows at every commit: all but one would find nothing
// (SKIP LOCKED) and only load the database. So a relay listens only while
// it holds the schema's relay lock, a session advisory lock on its
// listening connection: the lock and the LISTEN live and die with that
// connection, and when it goes (its process killed, its network lost),
// PostgreSQL releases the lock and another relay takes it at its next try
// (every SweepInterval). Every relay, leading or not, also sweeps the
// outbox every SweepInterval, so rows never wait for a lost leader longer
// than that.

// listen keeps a connection of its own that tries to take the schema's
// relay lock every SweepInterval and, once it holds it, LISTENs on the
// outbox channel and signals wake at each notification (and once when it
// starts listening: commits before that were not heard). It reconnects
// after a failure and returns when ctx ends.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	delay := listenRetryMin
	for {
		leading, err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if leading {
			delay = listenRetryMin // it worked for a while: start over
		}
		r.log.Warn("outbox relay: listener connection lost; reconnecting", "retry_in", delay, "error", mapError("listen", err))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// listenOnce runs one connection until it fails or ctx ends, and reports
// whether it led meanwhile.
func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) (leading bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, r.store.pool.Config().ConnConfig.Copy())
	cancel()
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx) // releases the lock
	}()
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", r.lockKey).Scan(&got); err != nil {
			return false, err
		}
		if got {
			break
		}
		t := time.NewTimer(r.cfg.SweepInterval) // another relay leads
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{r.channel}.Sanitize()); err != nil {
		return true, err
	}
	r.leading.Store(true)
	defer r.leading.Store(false)
	r.log.Debug("outbox relay: leading (listening for commits)")
	signal(wake)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		signal(wake)
	}
}

// signal leaves a wake-up in c unless one is pending already.
func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
