package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// Bounds on what is read of a receiver's answer.
const (
	maxDrain   = 64 << 10 // read (and dropped) so the connection is reused
	maxSnippet = 256      // kept in the task's error
)

// userAgent is sent with every delivery.
const userAgent = "taskq-alert/1"

// Register makes w deliver alerts: it registers the handler of TaskType
// and its TypeConfig (attempt timeout Config.Timeout plus a second, backoff
// from RetryBaseDelay doubling up to RetryMaxDelay). w must serve
// Config.Queue.
func (n *Notifier) Register(w *worker.Worker) {
	w.HandleFunc(TaskType, n.deliver)
	w.Configure(TaskType, worker.TypeConfig{
		Timeout: n.cfg.Timeout + time.Second,
		Backoff: func(retry int, _ error) time.Duration {
			return worker.Backoff(retry, n.cfg.RetryBaseDelay, n.cfg.RetryMaxDelay)
		},
	})
}

// deliveryResult is stored as the result of a delivered alert.
type deliveryResult struct {
	Status int    `json:"status"`
	Host   string `json:"host"`
}

// deliver is the handler of TaskType: one signed POST. A 2xx answer
// completes the task; 408, 429, 5xx and transport errors are retried
// (honouring Retry-After); any other answer fails it for good.
func (n *Notifier) deliver(ctx context.Context, t *taskq.Task) (any, error) {
	id, _ := t.Metadata[metaTarget].(string)
	tg, ok := n.byID[id]
	if !ok {
		return nil, taskq.Permanent(taskq.NewError(taskq.CodeValidation, "webhook target is no longer configured"))
	}
	body, kind, err := deliveryBody(t.Metadata[metaEvent])
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	ts := strconv.FormatInt(n.cfg.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.url, bytes.NewReader(body))
	if err != nil {
		return nil, taskq.Permanent(taskq.NewError(taskq.CodeValidation, "cannot build the request to "+tg.host))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderEvent, kind)
	req.Header.Set(HeaderDelivery, t.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(n.cfg.Secret, ts, body))

	resp, err := n.cfg.HTTPClient.Do(req)
	if err != nil {
		err = transportError(tg.host, err)
		n.log.WarnContext(ctx, "alert delivery failed", "task_id", t.ID, "host", tg.host, "attempt", t.Attempts, "error", err)
		return nil, err
	}
	snippet := readSnippet(resp.Body)
	resp.Body.Close()
	if err := n.statusError(tg.host, resp, snippet); err != nil {
		n.log.WarnContext(ctx, "alert delivery refused", "task_id", t.ID, "host", tg.host, "attempt", t.Attempts, "status", resp.StatusCode)
		return nil, err
	}
	n.log.DebugContext(ctx, "alert delivered", "task_id", t.ID, "host", tg.host, "kind", kind, "status", resp.StatusCode)
	return deliveryResult{Status: resp.StatusCode, Host: tg.host}, nil
}

// deliveryBody re-encodes the stored event as the request body.
func deliveryBody(stored any) (body []byte, kind string, err error) {
	bad := func(why string) error {
		return taskq.Permanent(taskq.NewError(taskq.CodeValidation, "malformed alert task: "+why))
	}
	if stored == nil {
		return nil, "", bad("no event")
	}
	raw, err := json.Marshal(stored)
	if err != nil {
		return nil, "", bad("event does not encode")
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, "", bad("event does not decode")
	}
	if !ev.Kind.valid() || ev.ID == "" {
		return nil, "", bad("event without id or valid kind")
	}
	body, err = json.Marshal(ev)
	if err != nil {
		return nil, "", bad("event does not encode")
	}
	return body, string(ev.Kind), nil
}

// transportError turns a failed request into a retryable network error
// that names the host only: *url.Error would print the whole URL, which
// may carry a token.
func transportError(host string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := "POST to " + host + ": " + err.Error()
	if errors.Is(err, context.DeadlineExceeded) || ue != nil && ue.Timeout() {
		msg = "POST to " + host + ": timed out"
	}
	return &taskq.Error{Code: taskq.CodeNetwork, Message: msg, Retryable: true}
}

// statusError classifies the receiver's answer; nil for 2xx.
func (n *Notifier) statusError(host string, resp *http.Response, snippet string) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	msg := fmt.Sprintf("webhook %s answered %d %s", host, code, http.StatusText(code))
	if snippet != "" {
		msg += ": " + snippet
	}
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout, code >= 500:
		ec := taskq.CodeServiceUnavailable
		if code == http.StatusTooManyRequests {
			ec = taskq.CodeRateLimitExceeded
		}
		err := &taskq.Error{Code: ec, Message: msg, Retryable: true}
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), n.cfg.Now()); ok {
			// As taskq.RetryAfter does, without repeating the message.
			err.RetryAfter = min(d, n.cfg.RetryMaxDelay)
		}
		return err
	case code >= 300 && code <= 399:
		msg += " (redirects are not followed: configure the final URL)"
	}
	return taskq.Permanent(&taskq.Error{Code: taskq.CodeTaskExecutionFailed, Message: msg})
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// readSnippet reads a bounded part of a response body and returns its
// start as one line of printable text.
func readSnippet(r io.Reader) string {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, io.LimitReader(r, maxDrain))
	b := buf.Bytes()
	if len(b) > maxSnippet {
		b = b[:maxSnippet]
	}
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
