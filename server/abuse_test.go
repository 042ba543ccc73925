package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/server/tasktypes"
)

// nulResult is a task type whose result holds U+0000 in a key and a value.
var nulResult = tasktypes.Type{
	Name: "nul_result",
	Handler: taskq.HandlerFunc(func(context.Context, *taskq.Task) (any, error) {
		return map[string]any{"body": "a\x00b", "k\x00": "v"}, nil
	}),
}

// TestAbuse runs each abuse class against the in-memory server and the
// Redis+PostgreSQL one, in bounded time: every answer is a deliberate
// 2xx-4xx (never 500), nothing panics, and the server still serves a
// well-behaved client afterwards.
func TestAbuse(t *testing.T) {
	t.Parallel()
	// A loopback service the http task type must not reach through an
	// allow-listed name (localhost resolves to loopback from the hosts
	// file: no DNS, no network).
	var internalHits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { internalHits.Add(1) }))
	t.Cleanup(internal.Close)
	iu, err := url.Parse(internal.URL)
	require.NoError(t, err)

	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			deps := be.deps(t)
			deps.TaskTypes = []tasktypes.Type{nulResult}
			b := setup(t, Config{
				RateLimit: 1000, RateBurst: 20, AuthRateLimit: 5, AuthFailLimit: 5, AuthBlock: time.Hour,
				HTTPAllow:         []string{"localhost:" + iu.Port()},
				QuotaPendingTasks: 20, QuotaMetadataBytes: 256 << 10,
				DLQ: taskq.DeadLetterQueueConfig{MaxSize: 6},
			}, deps, true)
			// A bound that catches a hang, not a slow machine: the run
			// takes 15-50 s per deployment alone, and several times that
			// next to the rest of the suite on two cores.
			began := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			var mu sync.Mutex
			codes := map[int]int{}
			send := func(r req) int {
				w := b.do(r)
				require.Less(t, w.Code, 500, "%s %s: %s", r.method, r.path, w.Body.String())
				mu.Lock()
				codes[w.Code]++
				mu.Unlock()
				return w.Code
			}

			// Rotating IPv6 addresses within one /64: limited as one client.
			// A bucket that does not refill during the test (a rate that
			// the race detector could outpace would prove nothing), on a
			// server of its own (TestIPv6RotationWithinSlash64SharesLimits
			// has the exact counts per route).
			strict := setup(t, Config{RateLimit: 0.001, RateBurst: 20}, Deps{}, false)
			limited := 0
			for i := range 60 {
				ip := fmt.Sprintf("[2001:db8:77:1::%x]", i+1)
				if w := strict.do(req{method: "GET", path: "/api/tasks", ip: ip}); w.Code == http.StatusTooManyRequests {
					limited++
				}
			}
			require.Equal(t, 40, limited, "the /64 shares one bucket of 20")
			require.Equal(t, http.StatusUnauthorized, send(req{method: "GET", path: "/api/tasks", ip: "[2001:db8:78:1::1]"}), "another /64 is served")
			// Wrong credentials from rotating addresses: the /64 is blocked.
			for i := range 10 {
				send(req{method: "GET", path: "/api/keys", ip: fmt.Sprintf("[2001:db8:77:2::%x]", i+1), key: "tq_wrongwrongwrongwrongwrongwrongwrongwrong0"})
			}
			require.Equal(t, http.StatusTooManyRequests, send(req{method: "GET", path: "/api/tasks", ip: "[2001:db8:77:2::ffff]", key: testAdminKey}))
			for i := range 10 {
				send(req{method: "POST", path: "/api/auth/token", ip: fmt.Sprintf("[2001:db8:77:3::%x]", i+1), body: `{"api_key":"nope"}`})
			}

			// Health flood from many clients, concurrently.
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					for j := range 25 {
						if ctx.Err() != nil {
							return
						}
						send(req{method: "GET", path: []string{"/health", "/health/db", "/health/redis"}[j%3], ip: fmt.Sprintf("198.51.100.%d", i+1)})
					}
				})
			}
			wg.Wait()

			// Hostile bodies on every JSON route, as an admin of its own (the
			// bootstrap admin's rate limit stays for the checks below).
			_, hostileKey, err := b.s.keys.Create(t.Context(), "hostile", auth.RoleAdmin, nil)
			require.NoError(t, err)
			hostile := []string{
				`{"type":"noop","type":"noop"}`, `{"Type":"noop"}`, `{"type":"noop","metadata":{"a":{"b":1,"b":2}}}`,
				`{"type":"no\u0000op"}`, `{"type":"noop","metadata":{"\u0000":"x"}}`, "{\"type\":\"\xff\"}",
				strings.Repeat("[", 100000), strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200),
				`{"type":"noop"}{"type":"noop"}`, `{"type":"noop","metadata":"` + strings.Repeat("a", 2<<20) + `"}`,
				`{"type":"noop","metadata":{"n":1e999999}}`, `{"type":"noop","priority":"\ud800"}`, `null`, `[]`, `"x"`, ``,
			}
			for _, r := range jsonRoutes {
				for _, body := range hostile {
					send(req{method: "POST", path: r.path, key: hostileKey, body: body})
				}
				send(req{method: "POST", path: r.path, key: hostileKey, body: r.valid, header: map[string]string{"Content-Type": "text/plain"}})
			}
			// Odd paths, methods and headers.
			for _, p := range []string{"//api/tasks", "/api/tasks/../keys", "/api/tasks/%00", "/api/tasks/" + strings.Repeat("a", 5000), "/api/dlq/%2e%2e/retry", "/\x7f"} {
				for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS", "TRACE"} {
					send(req{method: m, path: strings.ReplaceAll(p, "\x7f", "%7f"), key: hostileKey})
				}
			}
			send(req{method: "GET", path: "/api/tasks", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("a.", 5000)}})
			send(req{method: "GET", path: "/api/tasks?limit=99999999999999999999&status=%00", key: hostileKey})

			// A result PostgreSQL cannot hold is refused with a clear error
			// on its first attempt, not lost to a lease expiry.
			tk := b.createTask(testAdminKey, map[string]any{"type": "nul_result"})
			done := b.waitStatus(tk.ID, taskq.StatusDeadLetter)
			require.Contains(t, done.Error.Message, "NUL")
			require.Equal(t, 1, done.Attempts, "refused on its first attempt")

			// An allow-listed name resolving to loopback is refused.
			ht := b.createTask(testAdminKey, map[string]any{"type": "http", "max_retries": 0, "metadata": map[string]any{"url": "http://localhost:" + iu.Port() + "/"}})
			failed := b.waitStatus(ht.ID, taskq.StatusDeadLetter)
			require.Equal(t, taskq.CodeForbidden, failed.Error.Code, "%+v", failed.Error)
			require.Zero(t, internalHits.Load(), "the internal service was reached")

			// One user floods tasks scheduled for later: past the pending
			// quota every creation is 429 quota_exceeded; other users are
			// served. Then large metadata: the metadata quota.
			_, flooder, err := b.s.keys.Create(t.Context(), "flooder", auth.RoleUser, nil)
			require.NoError(t, err)
			later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			quota := 0
			for range 40 {
				if send(req{method: "POST", path: "/api/tasks", key: flooder, ip: "203.0.113.7",
					body: map[string]any{"type": "noop", "run_at": later}}) == http.StatusTooManyRequests {
					quota++
				}
			}
			require.Equal(t, 20, quota, "20 created, 20 refused")
			_, hoarder, err := b.s.keys.Create(t.Context(), "hoarder", auth.RoleUser, nil)
			require.NoError(t, err)
			blob := strings.Repeat("h", 60<<10)
			refused := 0
			for range 8 {
				w := b.do(req{method: "POST", path: "/api/tasks", key: hoarder, ip: "203.0.113.8",
					body: map[string]any{"type": "noop", "run_at": later, "metadata": map[string]any{"b": blob}}})
				if w.Code == http.StatusTooManyRequests {
					requireError(t, w, http.StatusTooManyRequests, taskq.CodeQuotaExceeded)
					refused++
				}
			}
			require.Equal(t, 4, refused, "four records of 60 KiB fit in 256 KiB")

			// One user fills the DLQ (size 6) with failing tasks: the cap
			// evicts that user's entries, not the two the admin's tasks
			// left there above.
			var failing []string
			for range 12 {
				tk := b.createTask(hostileKey, map[string]any{"type": "fail", "max_retries": 0})
				failing = append(failing, tk.ID)
			}
			waitFor(t, 20*time.Second, func() bool {
				for _, id := range failing {
					w := b.admin(req{method: "GET", path: "/api/tasks/" + id})
					if w.Code == http.StatusOK && decode[*taskq.Task](t, w).Status != taskq.StatusDeadLetter {
						return false
					}
				}
				return true
			}, func() string { return "the failing tasks did not all reach the DLQ" })
			dl := decode[listBody](t, b.admin(req{method: "GET", path: "/api/dlq?limit=100"}))
			require.Len(t, dl.Tasks, 6)
			var dlIDs []string
			for _, e := range dl.Tasks {
				dlIDs = append(dlIDs, e.ID)
			}
			require.Contains(t, dlIDs, tk.ID, "the admin's entries survive another owner filling the DLQ")
			require.Contains(t, dlIDs, ht.ID)

			// A record stored out of range never breaks a listing.
			bad := b.createTask(testAdminKey, map[string]any{"type": "noop", "run_at": later})
			corrupt(t, b, bad, "updated")
			require.Equal(t, http.StatusOK, send(req{method: "GET", path: "/api/tasks?limit=1000", key: testAdminKey, ip: "203.0.113.9"}))
			w := b.admin(req{method: "POST", path: "/api/admin/repair"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Equal(t, 1, decode[RepairResult](t, w).Repaired)

			// Still serving a well-behaved client; no panic on the way.
			require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: testAdminKey, ip: "203.0.113.200"}).Code)
			require.NotContains(t, b.log.String(), "panicked")
			require.NotContains(t, b.log.String(), `"status":500`)
			require.NoError(t, ctx.Err(), "the abuse run took too long")
			t.Logf("status codes: %v; took %s", codes, time.Since(began).Round(time.Millisecond))
		})
	}
}
