package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"time"

	"github.com/taskq/taskq"
	taskqserver "github.com/taskq/taskq/server"
)

// scaleAdminKey is the admin API key of the scale mode's HTTP server.
const scaleAdminKey = "bench-scale-admin-key-000000000"

// listResult is the latency of GET /api/tasks?limit=50 on the first page
// and on the page at depth (the tasks listed before it).
type listResult struct {
	first50, first99 time.Duration
	deep50, deep99   time.Duration
	depth            int
}

// listLatency serves the deployment with the reference HTTP server (its
// worker not started) on a loopback port and times scaleListSamples
// requests of the first page, then as many of the page at about n/2,
// reached by following the storage's cursor in pages of
// taskq.MaxPageSize (the server's cursor is the storage's).
func listLatency(ctx context.Context, t *taskqTarget, n int) (listResult, error) {
	var r listResult
	s, err := taskqserver.New(taskqserver.Config{AdminKey: scaleAdminKey, RateLimit: 1e9, RateBurst: 1e9},
		taskqserver.Deps{Store: t.store, Queue: t.queue})
	if err != nil {
		return r, fmt.Errorf("server: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Stop(sctx)
	}()
	hs := httptest.NewServer(s.Handler()) // 127.0.0.1:0
	defer hs.Close()
	hc := hs.Client()
	hc.Timeout = 30 * time.Second

	get := func(cursor string) error {
		u := hs.URL + "/api/tasks?limit=" + fmt.Sprint(scaleListLimit)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-API-Key", scaleAdminKey)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /api/tasks: %d %s", resp.StatusCode, body)
		}
		var page struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		if len(page.Tasks) == 0 {
			return fmt.Errorf("GET /api/tasks: empty page")
		}
		return nil
	}
	timed := func(cursor string) (p50, p99 time.Duration, err error) {
		for range scaleListWarmup {
			if err := get(cursor); err != nil {
				return 0, 0, err
			}
		}
		ds := make([]time.Duration, 0, scaleListSamples)
		for range scaleListSamples {
			start := time.Now()
			if err := get(cursor); err != nil {
				return 0, 0, err
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return percentile(ds, 50), percentile(ds, 99), nil
	}
	if r.first50, r.first99, err = timed(""); err != nil {
		return r, err
	}
	cursor, depth, err := walkTo(ctx, t.client, n/2)
	if err != nil {
		return r, fmt.Errorf("walk to %d: %w", n/2, err)
	}
	r.depth = depth
	if r.deep50, r.deep99, err = timed(cursor); err != nil {
		return r, err
	}
	return r, nil
}

// walkTo follows the listing of every task in pages of taskq.MaxPageSize
// until at least pos tasks lie before the cursor; it returns the cursor
// and how many tasks lie before it.
func walkTo(ctx context.Context, c *taskq.Client, pos int) (string, int, error) {
	var cursor string
	seen := 0
	for seen < pos {
		p, err := c.List(ctx, taskq.TaskFilter{Limit: min(taskq.MaxPageSize, pos-seen), Cursor: cursor})
		if err != nil {
			return "", 0, err
		}
		seen += len(p.Tasks)
		if p.NextCursor == "" {
			return "", 0, fmt.Errorf("the listing ended after %d tasks", seen)
		}
		cursor = p.NextCursor
	}
	return cursor, seen, nil
}
