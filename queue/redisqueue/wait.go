package redisqueue

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// Wait blocks until entries may be ready in queue, ctx ends (its error is
// returned) or max elapses (nil). It never polls: the first Wait on a queue
// subscribes this Queue to the queue's notification channel (sharded
// pub/sub, SSUBSCRIBE, on Redis 7; SUBSCRIBE before), which the enqueue and
// requeue scripts publish to when the ready sets were empty or when an
// entry becomes the earliest scheduled one. After the subscription is
// confirmed, Wait looks once (ready counts and the earliest run-at, one
// round trip): it returns at once when something is ready or due, and
// otherwise also wakes at the earliest run-at, so delayed tasks start on
// time. One subscription serves every Wait on that queue in this process.
func (q *Queue) Wait(ctx context.Context, queue string, max time.Duration) error {
	k, err := q.keys(queue)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if max <= 0 {
		return nil
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	s := q.notifier.get(k.notify())
	select {
	case <-s.ready:
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
	wake := s.current() // before looking, so no notification is missed
	if q.closed.Load() {
		return errClosed // Close wakes only the waits that came before it
	}

	cmds := make(rueidis.Commands, 0, taskq.NumPriorities+1)
	for p := range taskq.NumPriorities {
		cmds = append(cmds, q.client.B().Zcard().Key(k.ready(taskq.TaskPriority(p))).Build())
	}
	cmds = append(cmds, q.client.B().Zrange().Key(k.scheduled()).Min("0").Max("0").Withscores().Build())
	res := q.client.DoMulti(ctx, cmds...)
	for _, r := range res[:taskq.NumPriorities] {
		n, err := r.AsInt64()
		if err != nil {
			return mapErr(ctx, "wait", err)
		}
		if n > 0 {
			return nil
		}
	}
	head, err := res[taskq.NumPriorities].AsZScores()
	if err != nil {
		return mapErr(ctx, "wait", err)
	}
	var due <-chan time.Time
	if len(head) > 0 {
		d := time.UnixMilli(int64(head[0].Score)).Sub(q.clientNow())
		if d <= 0 {
			return nil
		}
		if d < max {
			t := time.NewTimer(d)
			defer t.Stop()
			due = t.C
		}
	}
	select {
	case <-wake:
	case <-due:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// notifier keeps one pub/sub subscription per notification channel for the
// life of the Queue and fans each message out to local waiters.
type notifier struct {
	client rueidis.Client
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// classic is set once the server refused SSUBSCRIBE (Redis < 7).
	classic atomic.Bool

	mu   sync.Mutex
	subs map[string]*subscription
}

// subscription is the local end of one channel.
type subscription struct {
	ready     chan struct{} // closed once the server confirmed the subscription
	readyOnce sync.Once

	mu   sync.Mutex
	wake chan struct{} // closed (and replaced) by the next message
}

func newNotifier(client rueidis.Client, log *slog.Logger) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	return &notifier{client: client, log: log, ctx: ctx, cancel: cancel, subs: map[string]*subscription{}}
}

func (s *subscription) current() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

func (s *subscription) signal() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// get returns the subscription of channel, starting it on first use.
func (n *notifier) get(channel string) *subscription {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.subs[channel]; ok {
		return s
	}
	s := &subscription{ready: make(chan struct{}), wake: make(chan struct{})}
	n.subs[channel] = s
	if n.ctx.Err() != nil { // closed: nothing will confirm it
		s.readyOnce.Do(func() { close(s.ready) })
		return s
	}
	n.wg.Add(1)
	go n.run(channel, s)
	return s
}

// run subscribes to channel until the notifier closes, resubscribing with
// a bounded backoff after errors. Every (re)subscription wakes the local
// waiters, since messages may have been missed meanwhile.
func (n *notifier) run(channel string, s *subscription) {
	defer n.wg.Done()
	backoff := 10 * time.Millisecond
	var confirmed atomic.Bool // during the current attempt
	hook := func(m rueidis.PubSubSubscription) {
		if m.Kind == "subscribe" || m.Kind == "ssubscribe" {
			confirmed.Store(true)
			s.signal() // before ready: a first Wait must not see this wake-up
			s.readyOnce.Do(func() { close(s.ready) })
		}
	}
	ctx := rueidis.WithOnSubscriptionHook(n.ctx, hook)
	for n.ctx.Err() == nil {
		confirmed.Store(false)
		sharded := !n.classic.Load()
		var cmd rueidis.Completed
		if sharded {
			cmd = n.client.B().Ssubscribe().Channel(channel).Build()
		} else {
			cmd = n.client.B().Subscribe().Channel(channel).Build()
		}
		err := n.client.Receive(ctx, cmd, func(rueidis.PubSubMessage) { s.signal() })
		if n.ctx.Err() != nil {
			return
		}
		if sharded && err != nil && strings.Contains(strings.ToLower(err.Error()), "unknown command") {
			n.classic.Store(true)
			continue
		}
		if confirmed.Load() {
			backoff = 10 * time.Millisecond // it worked for a while: retry soon
		}
		if err != nil {
			n.log.WarnContext(n.ctx, "queue notification subscription lost; resubscribing", "channel", channel, "error", err)
		}
		s.signal()
		t := time.NewTimer(backoff)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// close ends every subscription, waits for them, and wakes every waiter
// (whose next call then reports the Queue closed).
func (n *notifier) close() {
	n.mu.Lock() // get checks n.ctx under n.mu: no wg.Add after this
	n.cancel()
	n.mu.Unlock()
	n.wg.Wait()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.subs {
		s.signal()
		s.readyOnce.Do(func() { close(s.ready) })
	}
}
