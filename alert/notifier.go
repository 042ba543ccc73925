package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// TaskType is the type of delivery tasks.
const TaskType = "taskq.alert.webhook"

// Metadata keys of a delivery task.
const (
	metaEvent  = "event"  // the event, as a JSON object
	metaTarget = "target" // targetID of the URL
	metaHost   = "host"   // the URL's host, for people reading the task
)

// target is one configured URL.
type target struct {
	id   string // hash of the URL, stored in tasks instead of the URL
	url  string
	host string
}

// Notifier turns events into delivery tasks and delivers them. It is safe
// for concurrent use.
type Notifier struct {
	client  *taskq.Client
	cfg     Config
	log     *slog.Logger
	targets []target
	byID    map[string]target

	events chan Event // breaker events waiting for the job

	dlqMu sync.RWMutex
	dlq   taskq.DeadLetterQueue // set by WrapDLQ, for the periodic check

	sizeMu sync.Mutex // serializes DLQ size checks
	armed  bool       // the DLQ size alert may fire

	rateMu     sync.Mutex
	rateWindow time.Time // start of the current minute of dead letter events
	rateCount  int       // events sent in that minute
	suppressed int       // events dropped since the last one sent

	life lifecycle
}

// New returns a Notifier that enqueues deliveries with client. cfg's zero
// fields take their defaults; with no URLs every method is a no-op, so
// the Notifier can be wired unconditionally.
func New(client *taskq.Client, cfg Config) (*Notifier, error) {
	if client == nil {
		return nil, errors.New("alert: New needs a *taskq.Client (deliveries are tasks)")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Secret = slices.Clone(cfg.Secret)
	cfg.URLs = slices.Clone(cfg.URLs)
	n := &Notifier{
		client: client,
		cfg:    cfg,
		log:    cfg.Logger.With("component", "alert"),
		byID:   map[string]target{},
		events: make(chan Event, cfg.Buffer),
		armed:  true,
	}
	for _, raw := range cfg.URLs {
		u, _ := url.Parse(raw) // checked by validate
		sum := sha256.Sum256([]byte(raw))
		tg := target{id: hex.EncodeToString(sum[:8]), url: raw, host: u.Host}
		if _, dup := n.byID[tg.id]; dup {
			continue
		}
		n.targets = append(n.targets, tg)
		n.byID[tg.id] = tg
	}
	return n, nil
}

// Enabled reports whether any URL is configured.
func (n *Notifier) Enabled() bool { return len(n.targets) > 0 }

// wants reports whether events of kind k are sent.
func (n *Notifier) wants(k Kind) bool {
	return n.Enabled() && (len(n.cfg.Kinds) == 0 || slices.Contains(n.cfg.Kinds, k))
}

// Emit enqueues one delivery task per URL for ev, at priority HIGH with
// Config.MaxRetries retries. An empty ID gets a new one and a zero Time
// the current time. Emitting an event with the same ID again enqueues
// nothing new (each delivery has an idempotency key made of the event id
// and its URL), so a failed Emit may simply be repeated. Events of kinds
// left out by Config.Kinds, and every event when no URL is set, are
// dropped without error.
func (n *Notifier) Emit(ctx context.Context, ev Event) error {
	if !ev.Kind.valid() {
		return taskq.NewError(taskq.CodeValidation, fmt.Sprintf("alert: invalid event kind %q", string(ev.Kind)))
	}
	if !n.wants(ev.Kind) {
		return nil
	}
	if ev.ID == "" {
		ev.ID = taskq.NewID()
	}
	if ev.Time.IsZero() {
		ev.Time = n.cfg.Now()
	}
	ev.Time = ev.Time.UTC()
	obj, err := eventObject(ev)
	if err != nil {
		return err
	}
	var errs []error
	for _, tg := range n.targets {
		meta := map[string]any{metaEvent: obj, metaTarget: tg.id, metaHost: tg.host}
		t, err := n.client.Enqueue(ctx, TaskType, meta,
			taskq.WithQueue(n.cfg.Queue),
			taskq.WithPriority(taskq.PriorityHigh),
			taskq.WithMaxRetries(n.cfg.MaxRetries),
			taskq.WithIdempotencyKey("alert:"+ev.ID+":"+tg.id),
			taskq.WithDescription("webhook alert "+string(ev.Kind)+" to "+tg.host),
		)
		switch {
		case errors.Is(err, taskq.ErrDuplicate):
			continue
		case err != nil && t == nil:
			errs = append(errs, fmt.Errorf("alert: enqueue %s delivery to %s: %w", ev.Kind, tg.host, err))
			continue
		case err != nil:
			// Stored but not queued: the worker's reconciler pushes it.
			n.log.WarnContext(ctx, "alert delivery stored but not queued", "kind", ev.Kind, "host", tg.host, "error", err)
		}
		n.log.DebugContext(ctx, "alert enqueued", "kind", ev.Kind, "event_id", ev.ID, "host", tg.host, "task_id", t.ID)
	}
	return errors.Join(errs...)
}

// eventObject encodes ev as the generic JSON object stored in task
// metadata, so every storage backend hands the same values back.
func eventObject(ev Event) (map[string]any, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, taskq.WrapError(taskq.CodeValidation, "alert: event data does not encode as JSON", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, taskq.WrapError(taskq.CodeInternal, "alert: event does not decode", err)
	}
	return obj, nil
}
