package postgres

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/taskq/taskq"
)

// getTasksSQL reads the records of many ids at once (a batch of
// concurrent GetTask calls).
const getTasksSQL = `SELECT ` + readColumns + ` FROM {schema}.tasks WHERE id = ANY($1::uuid[])`

// getter coalesces concurrent GetTask calls. Up to maxGetsInFlight reads
// are in flight at once; a call that arrives while they all are waits, and
// when a read ends, the calls that waited meanwhile go out together as one
// statement (id = ANY), run by the first of them. A lone call goes out at
// once, in its own goroutine, with the single-row statement, so it costs
// what it did without the getter. Under load one round trip and one
// statement serve many calls: fewer system calls in this process and less
// work per record in the database.
type getter struct {
	pool    *pgxpool.Pool
	one     string // the single-row statement
	many    string // the ANY statement
	timeout time.Duration

	mu       sync.Mutex
	inFlight int
	waiting  []*getCall

	batches atomic.Int64 // statements that served waiting calls
}

// maxGetsInFlight bounds the reads of one store in flight at once, and
// maxGetBatch the ids of one batch.
const (
	maxGetsInFlight = 2
	maxGetBatch     = 256
)

// getCall is one waiting GetTask call. ready is closed when the call has
// its outcome (t, err) or, for the first call of a batch, when it is to
// run the batch (lead).
type getCall struct {
	uid   pgtype.UUID
	key   string // the canonical form of uid, as records hold it
	t     *taskq.Task
	err   error
	lead  []*getCall
	ready chan struct{}
}

func newGetter(pool *pgxpool.Pool, q *queries, timeout time.Duration) *getter {
	return &getter{pool: pool, one: q.getTask, many: q.expand(getTasksSQL), timeout: timeout}
}

// get returns the record of uid. A call that waits leaves when ctx ends
// before its batch goes out; once its batch is out, it waits for the
// batch's statement, which WriteTimeout bounds.
func (g *getter) get(ctx context.Context, uid pgtype.UUID, key string) (*taskq.Task, error) {
	g.mu.Lock()
	if g.inFlight < maxGetsInFlight {
		g.inFlight++
		g.mu.Unlock()
		defer g.next()
		return scanTask(g.pool.QueryRow(ctx, g.one, uid))
	}
	c := &getCall{uid: uid, key: key, ready: make(chan struct{})}
	g.waiting = append(g.waiting, c)
	g.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(g.waiting, c); i >= 0 {
			g.waiting = slices.Delete(g.waiting, i, i+1)
			g.mu.Unlock()
			return nil, ctx.Err()
		}
		g.mu.Unlock()
		<-c.ready // taken into a batch
	}
	if c.lead != nil {
		g.runBatch(c.lead)
		g.next()
	}
	return c.t, c.err
}

// next hands the calls waiting now, as one batch, to the first of them,
// which keeps the ending read's slot; with none waiting the slot is free.
func (g *getter) next() {
	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.inFlight--
		g.mu.Unlock()
		return
	}
	n := min(len(g.waiting), maxGetBatch)
	batch := slices.Clone(g.waiting[:n])
	g.waiting = slices.Delete(g.waiting, 0, n)
	g.mu.Unlock()
	batch[0].lead = batch
	close(batch[0].ready)
}

// runBatch reads the records of batch in one statement and gives every
// call its outcome; the first call (the caller) is not signalled.
func (g *getter) runBatch(batch []*getCall) {
	ids := make([][16]byte, 0, len(batch))
	byID := make(map[string][]*getCall, len(batch))
	for _, c := range batch {
		if byID[c.key] == nil {
			ids = append(ids, c.uid.Bytes)
		}
		byID[c.key] = append(byID[c.key], c)
	}
	// Not the first caller's context: the batch serves every call in it.
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	g.batches.Add(1)
	err := g.read(ctx, ids, byID)
	for _, c := range batch {
		if c.t == nil && c.err == nil {
			c.err = err
			if err == nil {
				c.err = pgx.ErrNoRows
			}
		}
	}
	for _, c := range batch[1:] {
		close(c.ready)
	}
}

// read scans the rows of ids into the calls waiting for them; each call
// gets its own copy of a record.
func (g *getter) read(ctx context.Context, ids [][16]byte, byID map[string][]*getCall) error {
	rows, err := g.pool.Query(ctx, g.many, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return err
		}
		for i, c := range byID[t.ID] {
			if i == 0 {
				c.t = t
			} else {
				c.t = t.Clone()
			}
		}
	}
	return rows.Err()
}
