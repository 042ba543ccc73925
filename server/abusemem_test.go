package server

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// vmRSS reads the resident set size of this process, in bytes.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status on this system")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("VmRSS missing from /proc/self/status")
	return 0
}

// countingWriter is a ResponseWriter that keeps only the status and the
// number of body bytes (a recorder would hold every page in memory).
type countingWriter struct {
	h      http.Header
	status int
	n      int64
}

func (c *countingWriter) Header() http.Header         { return c.h }
func (c *countingWriter) WriteHeader(s int)           { c.status = s }
func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Sizes of the list burst of TestAbuseListMemoryBounded.
const (
	burstTasks    = 600
	burstMetadata = 60 << 10 // per task: a page of 1000 would be 36 MiB
	burstClients  = 16
	burstRequests = 4
	burstRSSBound = 256 << 20
)

// TestAbuseListMemoryBounded sends a burst of the largest list requests
// (limit=1000 over 600 tasks of 60 KiB: 36 MiB of tasks per page without
// the byte cap), from 16 clients at once, and checks that the process'
// resident memory grows by less than 256 MiB: each page stops at the
// 4 MiB cap, and the storage reads behind it are sized to it (about
// 165 MiB of growth measured). With the cap lifted (ListMaxBytes 1 TiB)
// the same burst grew it by about 830 MiB: 16 pages of 36 MiB held at
// once, as tasks and as their encoding. The race detector multiplies
// memory: there the bound is 1 GiB (441 MiB measured capped, 2843 MiB
// lifted).
//
// Not parallel: it runs before the parallel tests start, so that the
// resident memory it reads is this server's.
func TestAbuseListMemoryBounded(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			b := setup(t, Config{QuotaMetadataBytes: -1}, be.deps(t), false)
			ctx := t.Context()
			blob := strings.Repeat("r", burstMetadata)
			for i := 0; i < burstTasks; i += 50 {
				batch := make([]*taskq.Task, 50)
				for j := range batch {
					tk, err := b.s.client.NewTask("noop", map[string]any{"blob": blob, "i": i + j}, taskq.WithOwner("admin"))
					require.NoError(t, err)
					batch[j] = tk
				}
				require.NoError(t, b.s.store.CreateTasks(ctx, batch))
			}
			runtime.GC()
			debug.FreeOSMemory()
			before := vmRSS(t)

			var peak atomic.Int64
			peak.Store(before)
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					if r := vmRSS(t); r > peak.Load() {
						peak.Store(r)
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()
			var (
				wg    sync.WaitGroup
				pages atomic.Int64
				bytes atomic.Int64
				bad   atomic.Int64
			)
			start := time.Now()
			for c := range burstClients {
				wg.Go(func() {
					for range burstRequests {
						hr := httptest.NewRequest("GET", "/api/tasks?limit=1000", nil)
						hr.Header.Set("X-API-Key", testAdminKey)
						hr.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", c+1)
						w := &countingWriter{h: http.Header{}}
						b.s.Handler().ServeHTTP(w, hr)
						if w.status != http.StatusOK {
							bad.Add(1)
						}
						pages.Add(1)
						bytes.Add(w.n)
					}
				})
			}
			wg.Wait()
			close(stop)
			<-sampled
			growth := peak.Load() - before
			bound := int64(burstRSSBound)
			if raceEnabled {
				bound *= 4 // measured: 441 MiB capped, 2843 MiB with the cap lifted
			}
			t.Logf("%d pages of %.1f MiB on average in %v; RSS %d MiB before, peak growth %d MiB (bound %d MiB)",
				pages.Load(), float64(bytes.Load())/float64(pages.Load())/(1<<20), time.Since(start).Round(time.Millisecond),
				before>>20, growth>>20, bound>>20)
			require.Zero(t, bad.Load(), "every page answered 200")
			require.LessOrEqual(t, bytes.Load()/pages.Load(), int64(DefaultListMaxBytes+burstMetadata+4096), "pages stop at the cap")
			require.Less(t, growth, bound, "resident memory grew by %d MiB", growth>>20)
		})
	}
}
