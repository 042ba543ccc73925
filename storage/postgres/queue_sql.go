package postgres

import "strings"

// SQL of the Queue. Times come from the database clock
// (statement_timestamp(): the start of the statement, the same for every
// row it touches) unless the caller fixes the lease time
// (LeaseParams.Now). Durations are passed as microseconds. Every statement
// on entries names one queue, so every plan starts from an index of
// queue_entries with the queue as leading column (see
// migrations/0003_queue.sql).
//
// Fair sharing (see migrations/0014_queue_fair.sql): an entry written
// ready gets its round in the statement that writes it; promoteSQL, the
// first statement of every Lease, gives the due entries without one
// (scheduled, requeued) theirs; leases take the ready entries of a
// priority in (round, run_at, seq) order.
//
// Lease tokens: a leased entry's seq is its lease token. Lease and Reap
// draw a new seq from queue_entries_seq for every lease they grant (the
// order number only matters while an entry waits, and enqueue and requeue
// draw a new one too), so a token is never handed out twice, and Extend,
// Ack and Requeue name the lease by (id, seq).

// usec turns a microsecond count parameter into an interval.
const usec = `* interval '1 microsecond'`

const (
	// enqueueSQL adds the entries $2..$6 (ids, priorities, run times, NULL
	// for now, types, owners) in array order, those due now with their
	// rounds (numbered on per owner and priority in array order), leaving ids already present untouched (also
	// when an array repeats one: the first occurrence counts). An entry due
	// at once gets the statement time as its run_at, so it queues behind
	// the entries enqueued before it. The order numbers are drawn in array
	// order, and the rows inserted in id order, so that concurrent
	// enqueues of the same ids lock them in one order (no deadlock). The
	// insert trigger records the queue name and notifies listeners.
	enqueueSQL = `WITH e AS MATERIALIZED (
		SELECT e.id, e.priority, greatest(e.run_at, statement_timestamp()) AS run_at,
			nextval('{schema}.queue_entries_seq') AS seq, e.type, e.owner, e.ord,
			coalesce(e.run_at <= statement_timestamp(), true) AS ready
		FROM unnest($2::text[], $3::int2[], $4::timestamptz[], $5::text[], $6::text[])
			WITH ORDINALITY AS e(id, priority, run_at, type, owner, ord)
		ORDER BY e.ord
	), st AS (
		SELECT priority, owner, {schema}.queue_round_start($1, priority, owner) AS s
		FROM (SELECT DISTINCT priority, owner FROM e WHERE ready) d
	)
	INSERT INTO {schema}.queue_entries (queue, id, priority, run_at, seq, type, owner, round)
	SELECT $1, e.id, e.priority, e.run_at, e.seq, e.type, e.owner,
		CASE WHEN e.ready THEN st.s + row_number() OVER (PARTITION BY e.priority, e.owner, e.ready ORDER BY e.ord) - 1 END
	FROM e LEFT JOIN st ON e.ready AND st.priority = e.priority AND st.owner = e.owner
	ORDER BY e.id, e.seq
	ON CONFLICT DO NOTHING`

	// promoteSQL gives rounds to up to $4 entries of queue $1 that are due
	// at the lease time ($2, or the database clock) and have none, oldest
	// first: the k-th (from 0) of an owner in a priority gets
	// queue_round_start plus k (the round after the owner's latest ready
	// one or, when the owner has no ready entry, the current round: the
	// lowest of the ready entries of the priority, 0 when there is none).
	// Those are the rounds the entries would get becoming ready one by one
	// in that order. Promoters of a queue take
	// turns through the transaction-scoped advisory lock $3, tried only
	// when an entry is due: a Lease that does not get it leases what has
	// a round already. (Its snapshot is older than the lock, so a
	// promotion that committed in between can be missed: then two entries
	// of an owner can share a round, ordered by arrival.)
	promoteSQL = `WITH t AS MATERIALIZED (SELECT greatest($2::timestamptz, statement_timestamp()) AS at),
	turn AS MATERIALIZED (
		SELECT pg_try_advisory_xact_lock($3::int8) AS ok
		WHERE (SELECT run_at FROM {schema}.queue_entries
			WHERE queue = $1 AND deadline IS NULL AND round IS NULL
			ORDER BY run_at, seq LIMIT 1) <= (SELECT at FROM t)
	), due AS MATERIALIZED (
		SELECT e.id, e.priority, e.owner,
			row_number() OVER (PARTITION BY e.priority, e.owner ORDER BY e.run_at, e.seq) - 1 AS k
		FROM (SELECT id, priority, owner, run_at, seq FROM {schema}.queue_entries
			WHERE queue = $1 AND deadline IS NULL AND round IS NULL AND run_at <= (SELECT at FROM t)
				AND coalesce((SELECT ok FROM turn), false)
			ORDER BY run_at, seq
			LIMIT $4
			FOR UPDATE SKIP LOCKED) e
	), start AS (
		SELECT o.priority, o.owner, {schema}.queue_round_start($1, o.priority, o.owner) AS s
		FROM (SELECT DISTINCT priority, owner FROM due) o
	)
	UPDATE {schema}.queue_entries q SET round = start.s + due.k
	FROM due JOIN start USING (priority, owner)
	WHERE q.queue = $1 AND q.id = due.id`

	// leaseDeadline is the deadline of a lease taken at $2 (NULL: the
	// database clock) for $4 microseconds.
	leaseDeadline = `coalesce($2::timestamptz, statement_timestamp()) + $4::int8 ` + usec

	// newToken draws the token of a new lease (see above).
	newToken = `seq = nextval('{schema}.queue_entries_seq')`

	// leaseStrictUpdate is the UPDATE of leaseStrictSQL.
	leaseStrictUpdate = `UPDATE {schema}.queue_entries q SET deadline = ` + leaseDeadline + `, ` + newToken + `
	FROM pick WHERE q.queue = pick.queue AND q.id = pick.id
	RETURNING q.id, q.priority, q.deadline, q.round, q.run_at, pick.seq AS wait_seq, q.seq`

	// leaseWeightedUpdate is the UPDATE of leaseWeightedSQL.
	leaseWeightedUpdate = `UPDATE {schema}.queue_entries q SET deadline = ` + leaseDeadline + `, ` + newToken + `
	FROM pick WHERE q.queue = pick.queue AND q.id = pick.id
	RETURNING q.id, q.priority, q.deadline, q.round, pick.ord, q.seq`

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

	// requeueSQL enqueues $2 with priority $3, type $6 and owner $7 at $4
	// (NULL: now) unless present, or moves it back from leased (keeping its
	// priority and owner, without a round: it goes behind its owner's ready
	// entries when promoted); a
	// ready or scheduled entry is left untouched. It notifies listeners
	// ($5 is the channel) when it changed something; an insert also fires
	// the insert trigger, whose identical notification PostgreSQL folds
	// into this one.
	requeueSQL = `WITH r AS (
		INSERT INTO {schema}.queue_entries AS q (queue, id, priority, run_at, type, owner)
		VALUES ($1, $2, $3, greatest($4::timestamptz, statement_timestamp()), $6, $7)
		ON CONFLICT (queue, id) DO UPDATE SET run_at = excluded.run_at, seq = excluded.seq, deadline = NULL, round = NULL
			WHERE q.deadline IS NOT NULL
		RETURNING 1
	)
	SELECT pg_notify($5, $1) FROM r`

	// requeueLeaseSQL moves $2 back from the lease with token $6 to run at
	// $4 (NULL: now); it does nothing when that lease is no longer held.
	requeueLeaseSQL = `WITH r AS (
		UPDATE {schema}.queue_entries SET run_at = greatest($4::timestamptz, statement_timestamp()),
			seq = nextval('{schema}.queue_entries_seq'), deadline = NULL, round = NULL
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

	// statsSQL counts the entries of a queue by priority and state: all
	// of them from the queue's counter rows (queue_counts, see
	// migrations/0015_queue_counts.sql), the leased ones on
	// queue_entries_leased_idx, the scheduled ones (not leased, run_at
	// after the statement time) on queue_entries_unrounded_idx; ready is the
	// rest. It reads no other entry, so its cost grows with the leases held
	// and the entries scheduled, not with the backlog. Every entry not
	// leased whose run_at is in the future has no round: an entry gets its
	// round once due by the database clock. (A lease with LeaseParams.Now in
	// the future, which only tests use, promotes entries before they are
	// due; those count as ready here.)
	statsSQL = `SELECT c.priority, c.entries - coalesce(l.n, 0) - coalesce(s.n, 0), coalesce(s.n, 0), coalesce(l.n, 0)
	FROM (SELECT priority, sum(entries)::int8 AS entries
		FROM {schema}.queue_counts WHERE queue = $1 GROUP BY priority) c
	LEFT JOIN (SELECT priority, count(*) AS n FROM {schema}.queue_entries
		WHERE queue = $1 AND deadline IS NOT NULL GROUP BY priority) l ON l.priority = c.priority
	LEFT JOIN (SELECT priority, count(*) AS n FROM {schema}.queue_entries
		WHERE queue = $1 AND deadline IS NULL AND round IS NULL AND run_at > statement_timestamp()
		GROUP BY priority) s ON s.priority = c.priority`

	queuesSQL = `SELECT name FROM {schema}.queue_names ORDER BY name`

	// nextDueSQL is how many microseconds from now the earliest available
	// entry of the queue is due (zero or less: one is ready), NULL when
	// there is none: the first entry without a round (one probe of
	// queue_entries_unrounded_idx) and the first ready entry of each
	// priority (a probe of queue_entries_ready_idx; due but for those
	// promoted at a lease time in the future).
	nextDueSQL = `SELECT (extract(epoch FROM min(e.run_at) - statement_timestamp()) * 1000000)::int8 FROM (
		(SELECT run_at FROM {schema}.queue_entries
			WHERE queue = $1 AND deadline IS NULL AND round IS NULL
			ORDER BY run_at, seq LIMIT 1)
		UNION ALL
		(SELECT r.run_at FROM unnest('{0,1,2,3}'::int2[]) AS p(priority)
			CROSS JOIN LATERAL (
				SELECT run_at FROM {schema}.queue_entries
				WHERE queue = $1 AND priority = p.priority AND deadline IS NULL AND round IS NOT NULL
				ORDER BY round, run_at, seq LIMIT 1) r)
	) e`
)

// queueQueries holds the Queue's statements with the schema filled in.
type queueQueries struct {
	enqueue, promote, leaseStrict, leaseWeighted, extend, ack, remove string
	leaseStartStrict, leaseStartWeighted                              string
	requeue, requeueLease, reap, stats, foldCounts, queues, nextDue   string

	limitsBusy, limitsRates, limitsNow, limitsCandidates, limitsTake, limitsSaveRates string
}

func newQueueQueries(q *queries) *queueQueries {
	x := q.expand
	return &queueQueries{
		enqueue: x(enqueueSQL), promote: x(promoteSQL), leaseStrict: x(leaseStrictSQL), leaseWeighted: x(leaseWeightedSQL),
		leaseStartStrict: x(leaseStartStrictSQL), leaseStartWeighted: x(leaseStartWeightedSQL),
		extend: x(extendSQL), ack: x(ackSQL), remove: x(removeSQL), requeue: x(requeueSQL), requeueLease: x(requeueLeaseSQL),
		reap: x(reapSQL), stats: x(statsSQL), foldCounts: x(queueCountsFoldSQL), queues: x(queuesSQL), nextDue: x(nextDueSQL),
		limitsBusy: x(limitsBusySQL), limitsRates: x(limitsRatesSQL), limitsNow: x(limitsNowSQL),
		limitsCandidates: x(limitsCandidatesSQL), limitsTake: x(limitsTakeSQL), limitsSaveRates: x(limitsSaveRatesSQL),
	}
}

// candidatesSQL is the lateral scan of Lease: for each priority in
// strict order, the ready entries due at the lease time in (round,
// run_at, seq) order, locked, skipping rows other transactions hold.
// Each is a range scan of queue_entries_ready_idx (whose entries are due
// but for those promoted at a lease time in the future) from the round
// floor (placeholder floor: an int8 array indexed by priority, see
// roundFloors), so that it starts past the index entries of the entries
// leased before, which stay in the index, dead, until a vacuum. A lease
// time in the past ($2 before the database clock) does not hide entries
// that are due by the database clock.
func candidatesSQL(floor string) string {
	return `unnest('{3,2,1,0}'::int2[]) AS p(priority)
	CROSS JOIN LATERAL (
		SELECT queue, id, priority, round, run_at, seq FROM {schema}.queue_entries
		WHERE queue = $1 AND priority = p.priority AND deadline IS NULL AND round IS NOT NULL
			AND round >= (` + floor + `::int8[])[p.priority + 1]
			AND run_at <= greatest($2::timestamptz, statement_timestamp())
		ORDER BY round, run_at, seq
		LIMIT $3
		FOR UPDATE SKIP LOCKED) e`
}

// leaseStrictPick is the pick CTE of leaseStrictSQL, its round floors at
// placeholder floor.
func leaseStrictPick(floor string) string {
	return `pick AS (SELECT e.queue, e.id, e.seq FROM ` + candidatesSQL(floor) + ` LIMIT $3)`
}

// leaseWeightedPick is the pick CTEs of leaseWeightedSQL, its round floors
// at placeholder floor.
func leaseWeightedPick(floor string) string {
	return `cand AS (
		SELECT e.queue, e.id, e.priority, e.round, e.run_at, e.seq,
			coalesce(($5::int4[])[e.priority + 1], 0) AS w, -ln(1 - random()) AS x
		FROM ` + candidatesSQL(floor) + `
	), keyed AS (
		SELECT queue, id, priority, round, run_at, seq, CASE WHEN w > 0 THEN 0 ELSE 1 END AS grp,
			CASE WHEN w > 0 THEN sum(x / greatest(w, 1)) OVER (PARTITION BY priority ORDER BY round, run_at, seq) END AS t
		FROM cand
	), pick AS (
		SELECT queue, id, row_number() OVER (ORDER BY grp, t, priority DESC, round, run_at, seq) AS ord
		FROM keyed ORDER BY ord LIMIT $3
	)`
}

// leaseStartStrictSQL and leaseStartWeightedSQL are the leases of
// leaseStrictSQL and leaseWeightedSQL that also start the records of the
// first $6 (strict) or $7 (weighted) leased tasks, in lease order, in the
// same statement, at $5 or $6, as startTasksSQL does (see
// Queue.LeaseAndStart); their round floors are $7 or $8.
var (
	// leaseStrictSQL leases up to $3 entries in strict priority order
	// (round floors $5, see candidatesSQL): the nested loop over the
	// priorities stops as soon as $3 rows are found, so it locks and reads
	// only what it takes. RETURNING comes in no particular order; the
	// caller sorts by (priority desc, round, run_at, seq) with the seq the
	// entry had while it waited; the new seq is the token.
	leaseStrictSQL = `WITH ` + leaseStrictPick("$5") + `
	` + leaseStrictUpdate
	// leaseWeightedSQL leases up to $3 entries with weights $5 (indexed by
	// priority; round floors $6, see candidatesSQL): of the first $3
	// candidates of every priority, each priority with weight w > 0 gets
	// arrival times of a Poisson process of rate w (cumulative sums of
	// exponential draws), and the earliest $3 arrivals are taken. By the
	// memorylessness of the exponential, that is the same as choosing each
	// slot among the non-empty weighted priorities with probability
	// proportional to their weights, in round order inside a priority.
	// Priorities without a positive weight come after, in strict order.
	// The candidates not taken stay locked only until the statement ends.
	// RETURNING gives the slot (ord).
	leaseWeightedSQL = `WITH ` + leaseWeightedPick("$6") + `
	` + leaseWeightedUpdate

	leaseStartStrictSQL = leaseStartSQL(leaseStrictPick("$7"), leaseStrictUpdate,
		"l.id, l.priority, l.deadline, l.round, l.run_at, l.wait_seq, l.seq", "l.priority DESC, l.round, l.run_at, l.wait_seq", "$5", "$6")
	leaseStartWeightedSQL = leaseStartSQL(leaseWeightedPick("$8"), leaseWeightedUpdate,
		"l.id, l.priority, l.deadline, l.round, l.ord, l.seq", "l.ord", "$6", "$7")
)

// leaseStartSQL is a lease (its pick CTEs and its UPDATE) that also
// starts the records of the first n leased tasks in the lease order order
// (n and at are placeholders; at the start time): the statement returns
// the lease columns cols of every lease (l), then
// whether its record was started, then the started record (readColumns,
// NULL when not started). A record is started when it is startable
// (pending, failed or running, as in startTasksSQL) and no other
// transaction holds its row: those are skipped (SKIP LOCKED) rather than
// waited for, so a statement that holds the row and waits for the entry
// (a cancel, which deletes the entry in the statement that updates the
// record) cannot deadlock with this one, which holds the entry. A lease
// whose record was not started is returned all the same, and its holder
// starts it (or finds it not startable) with StartTasks.
func leaseStartSQL(pick, update, cols, order, at, n string) string {
	var task strings.Builder
	for i, c := range strings.Split(readColumns, ",") {
		if i > 0 {
			task.WriteString(", ")
		}
		task.WriteString("s." + strings.TrimSpace(c))
	}
	return `WITH ` + pick + `, leased AS (` + update + `),
	lk AS (SELECT id FROM {schema}.tasks
		WHERE id = ANY (ARRAY(SELECT CASE WHEN l.id ~* '` + uuidPattern + `' THEN l.id::uuid END FROM leased l
			ORDER BY ` + order + ` LIMIT ` + n + `))
		FOR UPDATE SKIP LOCKED),
	started AS (UPDATE {schema}.tasks SET status = 'running', started_at = ` + at + `, updated = ` + at + `, attempts = attempts + 1
		WHERE id = ANY (ARRAY(SELECT id FROM lk))
			AND CASE status WHEN 'pending' THEN true WHEN 'failed' THEN true WHEN 'running' THEN true ELSE false END
		RETURNING ` + readColumns + `)
	SELECT ` + cols + `, s.id IS NOT NULL, ` + task.String() + `
	FROM leased l LEFT JOIN started s ON s.id::text = l.id`
}

// uuidPattern matches the text form of a UUID (any case): the entry ids
// that can name a record (tasks.id is a uuid).
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
