package postgres

// SQL of the Queue. Times come from the database clock
// (statement_timestamp(): the start of the statement, the same for every
// row it touches) unless the caller fixes the lease time
// (LeaseParams.Now). Durations are passed as microseconds. Every statement
// on entries names one queue, so every plan starts from an index of
// queue_entries with the queue as leading column (see
// migrations/0003_queue.sql).
//
// Lease tokens: a leased entry's seq is its lease token. Lease and Reap
// draw a new seq from queue_entries_seq for every lease they grant (the
// order number only matters while an entry waits, and enqueue and requeue
// draw a new one too), so a token is never handed out twice, and Extend,
// Ack and Requeue name the lease by (id, seq).

// usec turns a microsecond count parameter into an interval.
const usec = `* interval '1 microsecond'`

const (
	// enqueueSQL adds the entries $2..$5 (ids, priorities, run times, NULL
	// for now, types) in array order, leaving ids already present untouched (also
	// when an array repeats one: the first occurrence counts). An entry due
	// at once gets the statement time as its run_at, so it queues behind
	// the entries enqueued before it. The order numbers are drawn in array
	// order, and the rows inserted in id order, so that concurrent
	// enqueues of the same ids lock them in one order (no deadlock). The
	// insert trigger records the queue name and notifies listeners.
	enqueueSQL = `WITH e AS MATERIALIZED (
		SELECT e.id, e.priority, greatest(e.run_at, statement_timestamp()) AS run_at,
			nextval('{schema}.queue_entries_seq') AS seq, e.type
		FROM unnest($2::text[], $3::int2[], $4::timestamptz[], $5::text[]) WITH ORDINALITY AS e(id, priority, run_at, type, ord)
		ORDER BY e.ord
	)
	INSERT INTO {schema}.queue_entries (queue, id, priority, run_at, seq, type)
	SELECT $1, id, priority, run_at, seq, type FROM e ORDER BY id, seq
	ON CONFLICT DO NOTHING`

	// candidatesSQL is the lateral scan of Lease: for each priority in
	// strict order, the available entries due at the lease time in (run_at,
	// seq) order, locked, skipping rows other transactions hold. Each is
	// a range scan of queue_entries_available_idx that stops at the first
	// entry not yet due. A lease time in the past ($2 before the database
	// clock) does not hide entries that are due by the database clock.
	candidatesSQL = `unnest('{3,2,1,0}'::int2[]) AS p(priority)
	CROSS JOIN LATERAL (
		SELECT queue, id, priority, run_at, seq FROM {schema}.queue_entries
		WHERE queue = $1 AND priority = p.priority AND deadline IS NULL
			AND run_at <= greatest($2::timestamptz, statement_timestamp())
		ORDER BY run_at, seq
		LIMIT $3
		FOR UPDATE SKIP LOCKED) e`

	// leaseDeadline is the deadline of a lease taken at $2 (NULL: the
	// database clock) for $4 microseconds.
	leaseDeadline = `coalesce($2::timestamptz, statement_timestamp()) + $4::int8 ` + usec

	// newToken draws the token of a new lease (see above).
	newToken = `seq = nextval('{schema}.queue_entries_seq')`

	// leaseStrictSQL leases up to $3 entries in strict priority order: the
	// nested loop over the priorities stops as soon as $3 rows are found,
	// so it locks and reads only what it takes. RETURNING comes in no
	// particular order; the caller sorts by (priority desc, run_at, seq)
	// with the seq the entry had while it waited; the new seq is the token.
	leaseStrictSQL = `WITH pick AS (SELECT e.queue, e.id, e.seq FROM ` + candidatesSQL + ` LIMIT $3)
	UPDATE {schema}.queue_entries q SET deadline = ` + leaseDeadline + `, ` + newToken + `
	FROM pick WHERE q.queue = pick.queue AND q.id = pick.id
	RETURNING q.id, q.priority, q.deadline, q.run_at, pick.seq, q.seq`

	// leaseWeightedSQL leases up to $3 entries with weights $5 (indexed by
	// priority): of the first $3 candidates of every priority, each
	// priority with weight w > 0 gets arrival times of a Poisson process
	// of rate w (cumulative sums of exponential draws), and the earliest
	// $3 arrivals are taken. By the memorylessness of the exponential,
	// that is the same as choosing each slot among the non-empty weighted
	// priorities with probability proportional to their weights, FIFO
	// inside a priority. Priorities without a positive weight come after,
	// in strict order. The candidates not taken stay locked only until the
	// statement ends. RETURNING gives the slot (ord).
	leaseWeightedSQL = `WITH cand AS (
		SELECT e.queue, e.id, e.priority, e.run_at, e.seq,
			coalesce(($5::int4[])[e.priority + 1], 0) AS w, -ln(1 - random()) AS x
		FROM ` + candidatesSQL + `
	), keyed AS (
		SELECT queue, id, priority, run_at, seq, CASE WHEN w > 0 THEN 0 ELSE 1 END AS grp,
			CASE WHEN w > 0 THEN sum(x / greatest(w, 1)) OVER (PARTITION BY priority ORDER BY run_at, seq) END AS t
		FROM cand
	), pick AS (
		SELECT queue, id, row_number() OVER (ORDER BY grp, t, priority DESC, run_at, seq) AS ord
		FROM keyed ORDER BY ord LIMIT $3
	)
	UPDATE {schema}.queue_entries q SET deadline = ` + leaseDeadline + `, ` + newToken + `
	FROM pick WHERE q.queue = pick.queue AND q.id = pick.id
	RETURNING q.id, q.priority, q.deadline, pick.ord, q.seq`

	// extendSQL moves the deadline of the leases ($2 ids, $4 tokens, 0 for
	// any) to now+$3 microseconds and returns the ids and tokens held.
	extendSQL = `UPDATE {schema}.queue_entries q SET deadline = statement_timestamp() + $3::int8 ` + usec + `
	FROM unnest($2::text[], $4::int8[]) AS l(id, tok)
	WHERE q.queue = $1 AND q.id = l.id AND q.deadline IS NOT NULL AND (l.tok = 0 OR q.seq = l.tok)
	RETURNING q.id, l.tok`

	// ackSQL deletes the leases ($2 ids, $3 tokens, 0 for any).
	ackSQL = `DELETE FROM {schema}.queue_entries q USING unnest($2::text[], $3::int8[]) AS l(id, tok)
	WHERE q.queue = $1 AND q.id = l.id AND q.deadline IS NOT NULL AND (l.tok = 0 OR q.seq = l.tok)`
	removeSQL = `DELETE FROM {schema}.queue_entries WHERE queue = $1 AND id = ANY ($2::text[])`

	// requeueSQL enqueues $2 with priority $3 and type $6 at $4 (NULL: now) unless
	// present, or moves it back from leased (keeping its priority); a
	// ready or scheduled entry is left untouched. It notifies listeners
	// ($5 is the channel) when it changed something; an insert also fires
	// the insert trigger, whose identical notification PostgreSQL folds
	// into this one.
	requeueSQL = `WITH r AS (
		INSERT INTO {schema}.queue_entries AS q (queue, id, priority, run_at, type)
		VALUES ($1, $2, $3, greatest($4::timestamptz, statement_timestamp()), $6)
		ON CONFLICT (queue, id) DO UPDATE SET run_at = excluded.run_at, seq = excluded.seq, deadline = NULL
			WHERE q.deadline IS NOT NULL
		RETURNING 1
	)
	SELECT pg_notify($5, $1) FROM r`

	// requeueLeaseSQL moves $2 back from the lease with token $6 to run at
	// $4 (NULL: now); it does nothing when that lease is no longer held.
	requeueLeaseSQL = `WITH r AS (
		UPDATE {schema}.queue_entries SET run_at = greatest($4::timestamptz, statement_timestamp()),
			seq = nextval('{schema}.queue_entries_seq'), deadline = NULL
		WHERE queue = $1 AND id = $2 AND deadline IS NOT NULL AND seq = $6::int8 AND $3::int2 IS NOT NULL
		RETURNING 1
	)
	SELECT pg_notify($5, $1) FROM r`

	// reapSQL leases again, until now+$3 microseconds and under new
	// tokens, up to $2 leases of the queue whose deadline passed, earliest
	// deadline first, skipping rows other transactions hold.
	reapSQL = `WITH r AS (
		SELECT queue, id FROM {schema}.queue_entries
		WHERE queue = $1 AND deadline IS NOT NULL AND deadline <= statement_timestamp()
		ORDER BY deadline
		LIMIT $2
		FOR UPDATE SKIP LOCKED
	)
	UPDATE {schema}.queue_entries q SET deadline = statement_timestamp() + $3::int8 ` + usec + `, ` + newToken + `
	FROM r WHERE q.queue = r.queue AND q.id = r.id
	RETURNING q.id, q.priority, q.deadline, q.seq`

	// statsSQL counts the entries of a queue by priority and state.
	statsSQL = `SELECT priority,
		count(*) FILTER (WHERE deadline IS NULL AND run_at <= statement_timestamp()),
		count(*) FILTER (WHERE deadline IS NULL AND run_at > statement_timestamp()),
		count(*) FILTER (WHERE deadline IS NOT NULL)
	FROM {schema}.queue_entries WHERE queue = $1 GROUP BY priority`

	queuesSQL = `SELECT name FROM {schema}.queue_names ORDER BY name`

	// nextDueSQL is how many microseconds from now the earliest available
	// entry of the queue is due (zero or less: one is ready), NULL when
	// there is none: one probe of queue_entries_available_idx per
	// priority.
	nextDueSQL = `SELECT (extract(epoch FROM min(e.run_at) - statement_timestamp()) * 1000000)::int8
	FROM unnest('{0,1,2,3}'::int2[]) AS p(priority)
	CROSS JOIN LATERAL (
		SELECT run_at FROM {schema}.queue_entries
		WHERE queue = $1 AND priority = p.priority AND deadline IS NULL
		ORDER BY run_at, seq LIMIT 1) e`
)

// queueQueries holds the Queue's statements with the schema filled in.
type queueQueries struct {
	enqueue, leaseStrict, leaseWeighted, extend, ack, remove string
	requeue, requeueLease, reap, stats, queues, nextDue      string

	limitsBusy, limitsRates, limitsNow, limitsCandidates, limitsTake, limitsSaveRates string
}

func newQueueQueries(q *queries) *queueQueries {
	x := q.expand
	return &queueQueries{
		enqueue: x(enqueueSQL), leaseStrict: x(leaseStrictSQL), leaseWeighted: x(leaseWeightedSQL),
		extend: x(extendSQL), ack: x(ackSQL), remove: x(removeSQL), requeue: x(requeueSQL), requeueLease: x(requeueLeaseSQL),
		reap: x(reapSQL), stats: x(statsSQL), queues: x(queuesSQL), nextDue: x(nextDueSQL),
		limitsBusy: x(limitsBusySQL), limitsRates: x(limitsRatesSQL), limitsNow: x(limitsNowSQL),
		limitsCandidates: x(limitsCandidatesSQL), limitsTake: x(limitsTakeSQL), limitsSaveRates: x(limitsSaveRatesSQL),
	}
}
