package postgres

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/flow"
	"github.com/taskq/taskq/internal/pgschema"
)

// SQL of Lease under taskq.Limits (see leaseLimited).
const (
	// limitsBusySQL counts the leases of queue $1 by type (their sum is
	// the queue's): a scan of queue_entries_leased_idx.
	limitsBusySQL = `SELECT type, count(*) FROM {schema}.queue_entries
	WHERE queue = $1 AND deadline IS NOT NULL GROUP BY type`

	// limitsRatesSQL reads the token buckets of types $2 in queue $1.
	limitsRatesSQL = `SELECT type, tokens, at FROM {schema}.queue_rates WHERE queue = $1 AND type = ANY ($2::text[])`

	// limitsNowSQL is the lease time: $1, or the database clock.
	limitsNowSQL = `SELECT coalesce($1::timestamptz, statement_timestamp())`

	// limitsCandidatesSQL is candidatesSQL without the entries of types
	// $4 (at their cap) nor ids $5 (taken already), up to $3 per priority
	// and $6 in all, locked.
	limitsCandidatesSQL = `SELECT e.id, e.priority, e.type, e.round, e.run_at, e.seq FROM unnest('{3,2,1,0}'::int2[]) AS p(priority)
	CROSS JOIN LATERAL (
		SELECT id, priority, type, round, run_at, seq FROM {schema}.queue_entries
		WHERE queue = $1 AND priority = p.priority AND deadline IS NULL AND round IS NOT NULL
			AND run_at <= greatest($2::timestamptz, statement_timestamp())
			AND type <> ALL ($4::text[]) AND id <> ALL ($5::text[])
		ORDER BY round, run_at, seq
		LIMIT $3
		FOR UPDATE SKIP LOCKED) e
	LIMIT $6`

	// limitsTakeSQL leases ids $3 (in slot order) until $2 + $4
	// microseconds, each under a new token.
	limitsTakeSQL = `UPDATE {schema}.queue_entries q SET deadline = $2::timestamptz + $4::int8 ` + usec + `, ` + newToken + `
	FROM unnest($3::text[]) WITH ORDINALITY AS c(id, ord)
	WHERE q.queue = $1 AND q.id = c.id
	RETURNING q.id, q.priority, q.deadline, c.ord, q.seq`

	// limitsSaveRatesSQL stores the buckets of types $2 (tokens $3) of
	// queue $1 as of $4.
	limitsSaveRatesSQL = `INSERT INTO {schema}.queue_rates (queue, type, tokens, at)
	SELECT $1, r.type, r.tokens, $4 FROM unnest($2::text[], $3::float8[]) AS r(type, tokens)
	ON CONFLICT (queue, type) DO UPDATE SET tokens = excluded.tokens, at = excluded.at`
)

// candidate is a ready entry Lease under limits may take.
type candidate struct {
	id, typ  string
	priority taskq.TaskPriority
	round    int64
	runAt    time.Time
	seq      int64
}

// leaseLimited is Lease under p.Limits, in one transaction. Limited leases
// of a queue are serialized by a transaction-scoped advisory lock (leases
// without limits take none), so the counts they read — the leases of each
// type, from queue_entries itself, hence exact whatever ended a lease —
// cannot change under them but by a lease ending, which only frees room.
// The candidates are read in Lease's order without the types already at
// their cap; a type that fills up within the batch is excluded and the
// rest read again, so every round blocks one more type.
func (q *Queue) leaseLimited(ctx context.Context, p taskq.LeaseParams, at *time.Time) ([]taskq.Lease, error) {
	var out []taskq.Lease
	err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		var err error
		out, err = q.leaseLimitedTx(ctx, tx, p, at)
		return err
	})
	if err != nil {
		return nil, mapError("queue lease", err)
	}
	return out, nil
}

func (q *Queue) leaseLimitedTx(ctx context.Context, tx pgx.Tx, p taskq.LeaseParams, at *time.Time) ([]taskq.Lease, error) {
	out := []taskq.Lease{}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", pgschema.LockKey(q.cfg.Schema, "limits\x00"+p.Queue)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, q.sql.promote, p.Queue, at, q.promoteKey(p.Queue), promoteMax); err != nil {
		return nil, err
	}
	var now time.Time
	if err := tx.QueryRow(ctx, q.sql.limitsNow, at).Scan(&now); err != nil {
		return nil, err
	}
	busy := map[string]int{}
	nLeased := 0
	rows, err := tx.Query(ctx, q.sql.limitsBusy, p.Queue)
	if err != nil {
		return nil, err
	}
	var typ string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&typ, &n}, func() error {
		busy[typ] = n
		nLeased += n
		return nil
	}); err != nil {
		return nil, err
	}
	room := p.Max
	if c := flow.QueueCap(p.Limits, p.Queue); c > 0 {
		room = min(room, c-nLeased)
	}
	if room <= 0 {
		return out, nil
	}
	typed := flow.Typed(p.Limits)
	tokens := map[string]float64{}
	for _, t := range typed {
		if r, ok := flow.TypeRate(p.Limits, t); ok {
			tokens[t] = float64(r.N) // a bucket never used starts full
		}
	}
	if len(tokens) > 0 {
		rows, err := tx.Query(ctx, q.sql.limitsRates, p.Queue, typed)
		if err != nil {
			return nil, err
		}
		var tok float64
		var since time.Time
		if _, err := pgx.ForEachRow(rows, []any{&typ, &tok, &since}, func() error {
			if r, ok := flow.TypeRate(p.Limits, typ); ok {
				tokens[typ] = flow.Refill(r, tok, now.Sub(since))
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	allowed := func(t string) bool {
		if c := flow.TypeCap(p.Limits, t); c > 0 && busy[t] >= c {
			return false
		}
		if _, ok := flow.TypeRate(p.Limits, t); ok && tokens[t] < 1 {
			return false
		}
		return true
	}
	blocked := []string{}
	for _, t := range typed {
		if !allowed(t) {
			blocked = append(blocked, t)
		}
	}
	var chosen []string
	spent := map[string]bool{}
	for len(chosen) < room {
		need := room - len(chosen)
		total := need
		if p.Weights != nil {
			total = need * taskq.NumPriorities
		}
		cands, err := q.limitCandidates(ctx, tx, p.Queue, at, need, blocked, chosen, total)
		if err != nil {
			return nil, err
		}
		took, refused := pickLimited(cands, need, p.Weights, allowed, func(c candidate) {
			busy[c.typ]++
			if _, ok := flow.TypeRate(p.Limits, c.typ); ok {
				tokens[c.typ]--
				spent[c.typ] = true
			}
		})
		chosen = append(chosen, took...)
		if !refused {
			break
		}
		blocked = blocked[:0]
		for _, t := range typed {
			if !allowed(t) {
				blocked = append(blocked, t)
			}
		}
	}
	if len(chosen) == 0 {
		return out, nil
	}
	rows, err = tx.Query(ctx, q.sql.limitsTake, p.Queue, now, chosen, micros(p.TTL))
	if err != nil {
		return nil, err
	}
	type leased struct {
		l   taskq.Lease
		ord int64
	}
	var got []leased
	var prio int16
	var r leased
	if _, err := pgx.ForEachRow(rows, []any{&r.l.ID, &prio, &r.l.Deadline, &r.ord, &r.l.Token}, func() error {
		r.l.Priority = taskq.TaskPriority(prio)
		r.l.Deadline = r.l.Deadline.UTC()
		got = append(got, r)
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(a, b leased) int { return cmp.Compare(a.ord, b.ord) })
	for _, g := range got {
		out = append(out, g.l)
	}
	if len(spent) > 0 {
		var ts []string
		var vs []float64
		for t := range spent {
			ts = append(ts, t)
			vs = append(vs, tokens[t])
		}
		if _, err := tx.Exec(ctx, q.sql.limitsSaveRates, p.Queue, ts, vs, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// limitCandidates reads the ready entries Lease would take next, without
// the blocked types and the ids already chosen, in Lease's strict order
// (priority, then round).
func (q *Queue) limitCandidates(ctx context.Context, tx pgx.Tx, queue string, at *time.Time, per int, blocked, chosen []string, total int) ([]candidate, error) {
	if chosen == nil {
		chosen = []string{}
	}
	rows, err := tx.Query(ctx, q.sql.limitsCandidates, queue, at, per, blocked, chosen, total)
	if err != nil {
		return nil, err
	}
	var out []candidate
	var c candidate
	var prio int16
	if _, err := pgx.ForEachRow(rows, []any{&c.id, &prio, &c.typ, &c.round, &c.runAt, &c.seq}, func() error {
		c.priority = taskq.TaskPriority(prio)
		out = append(out, c)
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if c := cmp.Compare(b.priority, a.priority); c != 0 {
			return c
		}
		if c := cmp.Compare(a.round, b.round); c != 0 {
			return c
		}
		if c := a.runAt.Compare(b.runAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out, nil
}

// pickLimited takes up to need candidates (sorted by priority, highest
// first, then round order) in Lease's order — strict, or a weighted draw among
// the priorities with an allowed candidate — skipping those allowed
// refuses, and calls take for each one taken. It reports whether it
// refused any: their type filled up within the batch.
func pickLimited(cands []candidate, need int, weights []int, allowed func(string) bool, take func(candidate)) (ids []string, refused bool) {
	var byPrio [taskq.NumPriorities][]candidate
	for _, c := range cands {
		byPrio[c.priority] = append(byPrio[c.priority], c)
	}
	head := func(p int) bool {
		for len(byPrio[p]) > 0 && !allowed(byPrio[p][0].typ) {
			byPrio[p] = byPrio[p][1:]
			refused = true
		}
		return len(byPrio[p]) > 0
	}
	for len(ids) < need {
		pick := -1
		if weights != nil {
			total := 0
			for p := range byPrio {
				if p < len(weights) && weights[p] > 0 && head(p) {
					total += weights[p]
				}
			}
			if total > 0 {
				r := rand.IntN(total)
				for p := len(byPrio) - 1; p >= 0; p-- {
					if p >= len(weights) || weights[p] <= 0 || !head(p) {
						continue
					}
					if r < weights[p] {
						pick = p
						break
					}
					r -= weights[p]
				}
			}
		}
		if pick < 0 {
			for p := len(byPrio) - 1; p >= 0; p-- {
				if head(p) {
					pick = p
					break
				}
			}
		}
		if pick < 0 {
			break
		}
		c := byPrio[pick][0]
		byPrio[pick] = byPrio[pick][1:]
		take(c)
		ids = append(ids, c.id)
	}
	return ids, refused
}
