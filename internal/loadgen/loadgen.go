// Package loadgen drives the HTTP API of a taskq server: POST /api/tasks
// and GET /api/tasks/{id}, half each, over a fixed number of keep-alive
// connections, and measures throughput, latency and errors. The
// taskq-load command and the reliability suite use it.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a run.
type Config struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080.
	BaseURL string
	// APIKey authenticates every request (X-API-Key).
	APIKey string
	// Conns is the number of keep-alive connections, each driven by one
	// goroutine sending requests back to back. Default 64.
	Conns int
	// Duration of the run. Default 30s.
	Duration time.Duration
	// Payload is the task's metadata JSON. Default a 100-byte object.
	Payload string
	// TaskType of the created tasks. Default "noop".
	TaskType string
}

// Result is what a run measured.
type Result struct {
	Requests, Errors  int
	Creates, Gets     int
	Duration          time.Duration
	P50, P99, Max     time.Duration
	FirstError        string
	StatusesOtherThan map[int]int // non-2xx statuses seen
}

// PerSecond is the request rate.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Duration.Seconds() }

// String renders the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p99 %s, max %s, errors %d",
		r.Requests, r.Duration.Round(time.Millisecond), r.PerSecond(), r.P50, r.P99, r.Max, r.Errors)
}

// DefaultPayload is 100 bytes of JSON metadata.
const DefaultPayload = `{"user_id":12345678,"email":"someone@example.com","action":"welcome","locale":"en-US","n":1}`

// Run drives the server until cfg.Duration passes or ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Conns <= 0 {
		cfg.Conns = 64
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Payload == "" {
		cfg.Payload = DefaultPayload
	}
	if cfg.TaskType == "" {
		cfg.TaskType = "noop"
	}
	if !json.Valid([]byte(cfg.Payload)) {
		return Result{}, fmt.Errorf("loadgen: payload is not JSON")
	}
	body := []byte(`{"type":` + quote(cfg.TaskType) + `,"metadata":` + cfg.Payload + `}`)
	base := strings.TrimRight(cfg.BaseURL, "/")
	tr := &http.Transport{MaxIdleConns: cfg.Conns, MaxIdleConnsPerHost: cfg.Conns, MaxConnsPerHost: cfg.Conns, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		lat       []time.Duration
		errs      atomic.Int64
		creates   atomic.Int64
		gets      atomic.Int64
		firstErr  atomic.Value
		statusMap = map[int]int{}
	)
	fail := func(msg string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, msg)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			var lastID string
			for ctx.Err() == nil {
				var req *http.Request
				get := lastID != ""
				if get {
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/tasks/"+lastID, nil)
				} else {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/tasks", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("X-API-Key", cfg.APIKey)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err.Error())
					}
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if ctx.Err() != nil {
					break // cut by the end of the run: not counted
				}
				local = append(local, time.Since(t0))
				if resp.StatusCode >= 300 {
					fail(fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, clip(string(b), 200)))
					mu.Lock()
					statusMap[resp.StatusCode]++
					mu.Unlock()
					lastID = ""
					continue
				}
				if get {
					gets.Add(1)
					lastID = ""
				} else {
					creates.Add(1)
					var tk struct {
						ID string `json:"id"`
					}
					if json.Unmarshal(b, &tk) == nil {
						lastID = tk.ID
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Duration: time.Since(start), Requests: len(lat), Errors: int(errs.Load()),
		Creates: int(creates.Load()), Gets: int(gets.Load()), StatusesOtherThan: statusMap}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstError = v
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50, r.P99, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	return r, nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
