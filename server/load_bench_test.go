package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/loadgen"
	"github.com/taskq/taskq/internal/testenv"
)

// BenchmarkHTTPLoad serves the Redis+PostgreSQL deployment in this process
// (worker included, as taskq-server runs) and drives it with the load
// generator (cmd/taskq-load) in a child process: POST /api/tasks and GET
// /api/tasks/{id} 50/50 over 64 keep-alive connections for
// TASKQ_LOAD_DURATION (default 5s). As the load generator runs in another
// process, this process' CPU time and allocations are the server's:
//
//	go test -run '^$' -bench HTTPLoad -benchtime 1x -cpuprofile cpu.out ./server/
//
// TASKQ_LOAD_LOG_LEVEL (default warn, as the reliability suite runs the
// server) sets the log level; with info every request is logged (JSON,
// discarded), to measure the access log's cost. b.N is ignored: use
// -benchtime 1x.
func BenchmarkHTTPLoad(b *testing.B) {
	dur := 5 * time.Second
	if s := os.Getenv("TASKQ_LOAD_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(b, err)
		dur = d
	}
	level := os.Getenv("TASKQ_LOAD_LOG_LEVEL")
	if level == "" {
		level = "warn"
	}
	loadBin := filepath.Join(b.TempDir(), "taskq-load")
	out, err := exec.Command("go", "build", "-o", loadBin, "../cmd/taskq-load").CombinedOutput()
	require.NoError(b, err, "%s", out)

	redisURL := testenv.StartRedis(b).URL()
	cfg := Config{
		RedisURL: redisURL, DatabaseURL: testenv.SharedPostgres(b).NewDatabase(b),
		AdminKey: testAdminKey, RateLimit: 1e6, RateBurst: 1e6, MaxConnsPerIP: 256,
		LogFormat: "json", LogLevel: level, ShutdownTimeout: 10 * time.Second,
	}.withDefaults()
	log, err := NewLogger(io.Discard, "json", level)
	require.NoError(b, err)
	deps, err := OpenBackends(context.Background(), cfg, log)
	require.NoError(b, err)
	deps.Logger = log
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, deps, ln) }()
	b.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(b, err)
		case <-time.After(15 * time.Second):
			b.Fatal("Serve did not return within 15s")
		}
		require.NoError(b, deps.Close())
	})

	b.ResetTimer()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := testenv.ProcessCPU()
	cmd := exec.Command(loadBin, "-url", "http://"+ln.Addr().String(), "-key", testAdminKey,
		"-conns", "64", "-duration", dur.String())
	res, err := cmd.CombinedOutput()
	cpu := testenv.ProcessCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	b.StopTimer()
	require.NoError(b, err, "%s", res)
	b.Logf("%s", res)
	m := regexp.MustCompile(`^(\d+) requests in .*: (\d+) req/s, p50 (\S+), p99 (\S+),`).FindSubmatch(res)
	require.NotNil(b, m, "%s", res)
	n, _ := strconv.Atoi(string(m[1]))
	rps, _ := strconv.ParseFloat(string(m[2]), 64)
	p50, _ := time.ParseDuration(string(m[3]))
	p99, _ := time.ParseDuration(string(m[4]))
	require.Positive(b, n)
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/req")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/req")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n), "B/req")
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// BenchmarkHandlerCreateGet serves one POST /api/tasks and one GET
// /api/tasks/{id} per iteration through the server's whole handler chain
// (middleware, rate limiting, authentication, strict decoding, encoding),
// in process and on the memory deployment with the worker stopped, so
// that it measures the server's own CPU and allocations per request pair,
// without the network or a backend. The access log is on (JSON at info,
// discarded). The CPU time includes the benchmark's own requests and
// decoding of the responses.
//
//	go test -run '^$' -bench HandlerCreateGet -benchmem -count 5 ./server/
func BenchmarkHandlerCreateGet(b *testing.B) {
	log, err := NewLogger(io.Discard, "json", "info")
	require.NoError(b, err)
	s, err := New(Config{AdminKey: testAdminKey, RateLimit: 1e9, RateBurst: 1e9}, Deps{Logger: log})
	require.NoError(b, err)
	h := s.Handler()
	body := []byte(`{"type":"noop","metadata":` + loadgen.DefaultPayload + `}`)
	b.ReportAllocs()
	cpu0 := testenv.ProcessCPU()
	n := 0
	for b.Loop() {
		n++
		r := httptest.NewRequest(http.MethodPost, "/api/tasks", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-API-Key", testAdminKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("POST: %d %s", w.Code, w.Body)
		}
		var tk struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &tk); err != nil {
			b.Fatal(err)
		}
		r = httptest.NewRequest(http.MethodGet, "/api/tasks/"+tk.ID, nil)
		r.Header.Set("X-API-Key", testAdminKey)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET: %d %s", w.Code, w.Body)
		}
	}
	// CPU time per request pair: on a shared machine, ns/op counts the
	// time other processes held the cores too.
	b.ReportMetric(float64((testenv.ProcessCPU()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
}
