package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/background"
	"github.com/taskq/taskq/internal/ownercount"
	"github.com/taskq/taskq/internal/redisconn"
	"github.com/taskq/taskq/queue/redisqueue"
)

// Store is a taskq.StorageAdapter and taskq.StorageIdentity on Redis or
// Redis Cluster. It is safe for concurrent use.
type Store struct {
	client rueidis.Client
	own    bool // Close closes client
	cfg    Config
	k      keys
	closed atomic.Bool

	evictions ownercount.Counter
	updates   *updateBatcher
	creates   *createBatcher

	// Background work (merged update and create calls): Close cancels ctx, refuses
	// new goroutines and waits for bg.
	ctx    context.Context
	cancel context.CancelFunc
	bg     background.Group

	// dispatchTo is the queue the store writes its pending tasks' entries
	// into (dispatch.go), nil when it does not.
	dispatchTo atomic.Pointer[redisqueue.Queue]

	idMu sync.Mutex
	id   string // StorageID, once read
}

var (
	_ taskq.StorageAdapter      = (*Store)(nil)
	_ taskq.StorageIdentity     = (*Store)(nil)
	_ taskq.OwnerUsage          = (*Store)(nil)
	_ taskq.DeadLetterEvictions = (*Store)(nil)
)

// New returns a Store on client. The client stays the caller's: Close does
// not close it. Client-side caching is not used, so the client may be
// built with DisableCache.
func New(client rueidis.Client, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a rueidis.Client (or use NewFromURL)")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{client: client, cfg: cfg, k: newKeys(cfg.KeyPrefix)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.updates = s.newUpdateBatcher()
	s.creates = s.newCreateBatcher()
	return s, nil
}

// NewFromURL creates a rueidis client from url and returns a Store that
// owns it (Close closes it). It accepts the URL forms of
// rueidis.ParseURL, as redisqueue.NewFromURL does: redis://, rediss://,
// unix://, several addr= for a cluster, master_set= for Sentinel.
// Client-side caching is turned off and rueidis' own retries of read-only
// commands are bounded (three attempts), so an outage surfaces as
// taskq.ErrUnavailable instead of blocking.
//
// An empty url, or options left without an address, is an error naming the
// missing setting (TASKQ_REDIS_URL for taskq-server).
func NewFromURL(url string, cfg Config) (*Store, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	client, err := redisconn.Open("redisstore", url, cfg.ClientOption)
	if err != nil {
		return nil, err
	}
	s, err := New(client, cfg)
	if err != nil {
		client.Close()
		return nil, err
	}
	s.own = true
	return s, nil
}

// Client returns the underlying rueidis client.
func (s *Store) Client() rueidis.Client { return s.client }

func (s *Store) check() error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	return mapErr(ctx, "ping", s.client.Do(ctx, s.client.B().Ping().Build()).Error())
}

// Close closes the client when the Store owns it; later calls return an
// error matching taskq.ErrUnavailable, and so do updates still waiting for
// a merged script call (they may or may not have been applied, as after a
// lost reply). Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.bg.Stop()
	s.cancel()
	s.bg.Wait()
	if s.own {
		s.client.Close()
	}
	return nil
}

// StorageID returns the id of the data set under the key prefix: a UUID
// kept in {prefix}:storage_id, created on first use with SET NX, so
// concurrent first uses agree on one. Every store on the same Redis and
// prefix returns the same id.
func (s *Store) StorageID(ctx context.Context) (string, error) {
	const op = "storage id"
	if err := s.check(); err != nil {
		return "", err
	}
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.id != "" {
		return s.id, nil
	}
	err := s.client.Do(ctx, s.client.B().Set().Key(s.k.storage).Value(uuid.NewString()).Nx().Build()).Error()
	if err != nil && !rueidis.IsRedisNil(err) {
		return "", mapErr(ctx, op, err)
	}
	id, err := s.client.Do(ctx, s.client.B().Get().Key(s.k.storage).Build()).ToString()
	if err != nil {
		return "", mapErr(ctx, op, err)
	}
	s.id = id
	return id, nil
}

// now is the clock for times the caller did not give.
func (s *Store) now() time.Time { return s.cfg.Now().UTC() }

// exec runs a script with the store's routing key and tag.
func (s *Store) exec(ctx context.Context, l *redisconn.Script, args []string) rueidis.RedisResult {
	return l.Exec(ctx, s.client, []string{s.k.all}, append([]string{s.k.tag}, args...))
}

var errMalformedReply = errors.New("malformed script reply")

// decodeRecord decodes a {id, HGETALL} pair returned by a script.
func decodeRecord(m rueidis.RedisMessage) (*taskq.Task, error) {
	arr, err := m.ToArray()
	if err != nil || len(arr) != 2 {
		return nil, corrupt("?", errMalformedReply)
	}
	id, err := arr[0].ToString()
	if err != nil {
		return nil, corrupt("?", err)
	}
	kv, err := arr[1].AsStrSlice()
	if err != nil {
		return nil, corrupt(id, err)
	}
	if len(kv) == 0 {
		return nil, notFound("task", id)
	}
	return decodeTask(id, kv)
}
