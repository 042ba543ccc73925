package alert_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// A receiver checks the signature over the raw body before trusting it.
func ExampleVerify() {
	secret := []byte("a-secret-of-at-least-16-bytes")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		err = alert.Verify(secret, r.Header.Get(alert.HeaderTimestamp), body,
			r.Header.Get(alert.HeaderSignature), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized) // 4xx: not retried
			return
		}
		fmt.Println("accepted", r.Header.Get(alert.HeaderEvent))
		w.WriteHeader(http.StatusNoContent)
	})

	body := []byte(`{"id":"1","kind":"breaker.opened","time":"2025-01-02T03:04:05Z","data":{"breaker":"payments"}}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	send := func(body []byte, sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		req.Header.Set(alert.HeaderEvent, "breaker.opened")
		req.Header.Set(alert.HeaderTimestamp, ts)
		req.Header.Set(alert.HeaderSignature, sig)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code
	}
	sig := alert.Sign(secret, ts, body)
	fmt.Println(send(body, sig))
	fmt.Println(send(bytes.Replace(body, []byte("payments"), []byte("search"), 1), sig))

	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	err := alert.Verify(secret, old, body, alert.Sign(secret, old, body), 5*time.Minute)
	fmt.Println(errors.Is(err, alert.ErrInvalidTimestamp))
	// Output:
	// accepted breaker.opened
	// 204
	// 401
	// true
}

// Wiring alerts into an engine: the worker's dead letter queue is wrapped,
// breakers report their changes, and the same worker delivers the alerts.
func Example() {
	received := make(chan string, 10)
	secret := []byte("a-secret-of-at-least-16-bytes")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if alert.Verify(secret, r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature), 0) == nil {
			received <- r.Header.Get(alert.HeaderEvent)
		}
	}))
	defer receiver.Close()

	store, q := storage.NewMemory(), queue.NewMemory()
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{})
	notifier, err := alert.New(client, alert.Config{URLs: []string{receiver.URL}, Secret: secret})
	if err != nil {
		fmt.Println(err)
		return
	}
	deadLetters, _ := dlq.New(store, q, taskq.DeadLetterQueueConfig{}, dlq.Options{})
	breakers := breaker.NewRegistry(breaker.RegistryConfig{OnStateChange: notifier.BreakerChanged})
	w, _ := worker.New(store, q, worker.Config{
		DeadLetter:   notifier.WrapDLQ(deadLetters),
		Breakers:     breakers,
		PollInterval: 10 * time.Millisecond,
	})

	notifier.Register(w)

	w.HandleFunc("email.send", func(context.Context, *taskq.Task) (any, error) {
		return nil, taskq.Permanent(errors.New("mailbox does not exist"))
	})
	ctx := context.Background()
	_ = w.Start(ctx)
	_ = notifier.Start(ctx)
	defer func() {
		_ = w.Stop(ctx)
		_ = notifier.Stop(ctx)
	}()

	_, _ = client.Enqueue(ctx, "email.send", map[string]any{"to": "nobody@example.com"})
	select {
	case kind := <-received:
		fmt.Println(kind)
	case <-time.After(10 * time.Second):
		fmt.Println("no alert")
	}
	// Output: task.dead_lettered
}
