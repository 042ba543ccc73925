package alert

import (
	"context"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

// maxErrorMessage bounds the error message copied into an event.
const maxErrorMessage = 1024

// WrapDLQ returns d with alerting added: after each successful Move it
// sends KindTaskDeadLettered (never for delivery tasks themselves, so a
// failing webhook cannot alert about itself) and checks the DLQ size
// against DLQSizeThreshold; Remove and Cleanup re-check the size, which
// may re-arm the size alert. Alert failures are logged, never returned:
// the move itself succeeded. Other methods pass through; Unwrap returns
// d. The periodic check of Start uses the DLQ given to the last WrapDLQ
// call. With no URLs configured, d is returned as is.
func (n *Notifier) WrapDLQ(d taskq.DeadLetterQueue) taskq.DeadLetterQueue {
	if !n.Enabled() || d == nil {
		return d
	}
	n.dlqMu.Lock()
	n.dlq = d
	n.dlqMu.Unlock()
	return &alertingDLQ{DeadLetterQueue: d, n: n}
}

// alertingDLQ is the DeadLetterQueue returned by WrapDLQ.
type alertingDLQ struct {
	taskq.DeadLetterQueue
	n *Notifier
}

// Unwrap returns the wrapped DeadLetterQueue.
func (a *alertingDLQ) Unwrap() taskq.DeadLetterQueue { return a.DeadLetterQueue }

// Move moves t to the wrapped DLQ, then alerts.
func (a *alertingDLQ) Move(ctx context.Context, t *taskq.Task, cause error) error {
	if err := a.DeadLetterQueue.Move(ctx, t, cause); err != nil {
		return err
	}
	if t.Type != TaskType {
		a.n.deadLettered(ctx, t, cause)
	}
	a.n.checkSize(ctx, a.DeadLetterQueue)
	return nil
}

// Remove purges an entry, then re-checks the size.
func (a *alertingDLQ) Remove(ctx context.Context, id string) error {
	if err := a.DeadLetterQueue.Remove(ctx, id); err != nil {
		return err
	}
	a.n.checkSize(ctx, a.DeadLetterQueue)
	return nil
}

// Cleanup purges old entries, then checks the remaining size.
func (a *alertingDLQ) Cleanup(ctx context.Context, olderThan time.Time) (taskq.CleanupResult, error) {
	res, err := a.DeadLetterQueue.Cleanup(ctx, olderThan)
	if err == nil {
		a.n.sizeMu.Lock()
		a.n.observeSizeLocked(ctx, res.Remaining)
		a.n.sizeMu.Unlock()
	}
	return res, err
}

// deadLettered sends KindTaskDeadLettered for t, within DeadLetterRate.
func (n *Notifier) deadLettered(ctx context.Context, t *taskq.Task, cause error) {
	if !n.wants(KindTaskDeadLettered) {
		return
	}
	suppressed, ok := n.takeDeadLetterSlot()
	if !ok {
		return
	}
	te := t.Error
	if te == nil {
		te = taskq.TaskErrorFrom(cause)
	}
	data := map[string]any{
		"task_id":    t.ID,
		"task_type":  t.Type,
		"queue":      t.Queue,
		"priority":   t.Priority.String(),
		"attempts":   t.Attempts,
		"suppressed": suppressed,
	}
	if te != nil {
		data["error_code"] = string(te.Code)
		data["error_message"] = truncate(te.Message, maxErrorMessage)
	}
	ev := Event{Kind: KindTaskDeadLettered, Data: data}
	if t.DeadLetteredAt != nil {
		ev.Time = *t.DeadLetteredAt
	}
	if err := n.Emit(ctx, ev); err != nil {
		n.log.WarnContext(ctx, "cannot enqueue dead letter alert", "task_id", t.ID, "error", err)
	}
}

// takeDeadLetterSlot applies DeadLetterRate over fixed one-minute windows.
// It reports whether an event may be sent and, if so, how many were
// dropped since the last one sent.
func (n *Notifier) takeDeadLetterSlot() (suppressed int, ok bool) {
	if n.cfg.DeadLetterRate < 0 {
		return 0, true
	}
	now := n.cfg.Now()
	n.rateMu.Lock()
	defer n.rateMu.Unlock()
	if now.Sub(n.rateWindow) >= time.Minute || now.Before(n.rateWindow) {
		n.rateWindow, n.rateCount = now, 0
	}
	if n.rateCount >= n.cfg.DeadLetterRate {
		n.suppressed++
		return 0, false
	}
	n.rateCount++
	suppressed, n.suppressed = n.suppressed, 0
	return suppressed, true
}

// checkSize reads the DLQ size and fires or re-arms the size alert.
func (n *Notifier) checkSize(ctx context.Context, d taskq.DeadLetterQueue) {
	if n.cfg.DLQSizeThreshold <= 0 || !n.wants(KindDLQSizeExceeded) || d == nil {
		return
	}
	n.sizeMu.Lock()
	defer n.sizeMu.Unlock()
	size, err := d.Size(ctx)
	if err != nil {
		n.log.WarnContext(ctx, "cannot read the DLQ size for alerting", "error", err)
		return
	}
	n.observeSizeLocked(ctx, size)
}

// observeSizeLocked fires the size alert once when size goes over the
// threshold and re-arms it once size is back at or below DLQSizeRearm.
// The caller holds sizeMu.
func (n *Notifier) observeSizeLocked(ctx context.Context, size int) {
	if n.cfg.DLQSizeThreshold <= 0 || !n.wants(KindDLQSizeExceeded) {
		return
	}
	switch {
	case n.armed && size > n.cfg.DLQSizeThreshold:
		n.armed = false
		ev := Event{Kind: KindDLQSizeExceeded, Data: map[string]any{"size": size, "threshold": n.cfg.DLQSizeThreshold}}
		if err := n.Emit(ctx, ev); err != nil {
			n.armed = true // try again at the next check
			n.log.WarnContext(ctx, "cannot enqueue DLQ size alert", "size", size, "error", err)
			return
		}
		n.log.WarnContext(ctx, "DLQ size over the alert threshold", "size", size, "threshold", n.cfg.DLQSizeThreshold)
	case !n.armed && size <= n.cfg.DLQSizeRearm:
		n.armed = true
		n.log.InfoContext(ctx, "DLQ size alert re-armed", "size", size, "rearm", n.cfg.DLQSizeRearm)
	}
}

// BreakerChanged reports a circuit breaker transition; pass it as
// breaker.RegistryConfig.OnStateChange. It never blocks: the event waits
// in a buffer of Config.Buffer events for Start's job to enqueue it, and
// is dropped with a warning when the buffer is full.
func (n *Notifier) BreakerChanged(name string, from, to breaker.State) {
	var kind Kind
	switch to {
	case breaker.Open:
		kind = KindBreakerOpened
	case breaker.Closed:
		kind = KindBreakerClosed
	case breaker.HalfOpen:
		kind = KindBreakerHalfOpen
	default:
		return
	}
	if !n.wants(kind) {
		return
	}
	ev := Event{ID: taskq.NewID(), Kind: kind, Time: n.cfg.Now().UTC(),
		Data: map[string]any{"breaker": name, "from": from.String(), "to": to.String()}}
	select {
	case n.events <- ev:
	default:
		n.log.Warn("alert buffer full: breaker event dropped", "kind", kind, "breaker", name)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n] + "…"
}
