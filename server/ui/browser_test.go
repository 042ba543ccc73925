package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/server"
	"github.com/taskq/taskq/worker"
)

const adminKey = "console-test-admin-key-0123456789"

// updateScreenshotsEnv, set to 1, makes the browser test rewrite
// docs/screenshots/*.png.
const updateScreenshotsEnv = "TASKQ_UPDATE_SCREENSHOTS"

// chromiumPath finds a Chromium or Chrome binary, or skips the test (fails
// it when integration tests are required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.SkipOrFail(t, "chromium not installed (apt-get install chromium): browser tests skipped")
	return ""
}

// startServer runs the reference server (in-memory backends, a quick
// worker) on a loopback listener until the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := server.Config{AdminKey: adminKey, ShutdownTimeout: 5 * time.Second, Queues: []string{"default", "bulk"},
		RetryBaseDelay: 10 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond}
	cfg.DLQ.Backoff = 10 * time.Millisecond
	deps := server.Deps{
		Logger: slog.New(slog.DiscardHandler),
		Worker: func(c *worker.Config) {
			c.HeartbeatInterval = 50 * time.Millisecond
			c.PollInterval = 50 * time.Millisecond
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, deps, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return "http://" + ln.Addr().String()
}

// apiClient calls the API directly, as another client would.
type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) call(method, path, key string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("X-API-Key", key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &out), string(raw))
	}
	return res.StatusCode, out
}

// enqueue creates a task as the admin and returns its id.
func (c apiClient) enqueue(body map[string]any) string {
	c.t.Helper()
	code, out := c.call("POST", "/api/tasks", adminKey, body)
	require.Equal(c.t, http.StatusCreated, code, out)
	return out["id"].(string)
}

// waitStatus polls the task through the API until it has status (10 s).
func (c apiClient) waitStatus(id, status string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out := c.call("GET", "/api/tasks/"+id, adminKey, nil)
		require.Equal(c.t, http.StatusOK, code, out)
		if out["status"] == status {
			return out
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("task %s stayed %v, want %s", id, out["status"], status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browser is a headless Chromium tab and what its page reported.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // exceptions and console errors other than HTTP statuses
}

// newBrowser starts headless Chromium for at most limit; the allocator's
// cancel (at cleanup) kills it.
func newBrowser(t *testing.T, limit time.Duration) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 860),
		chromedp.UserDataDir(t.TempDir()),
	)
	bounded, cancelTime := context.WithTimeout(context.Background(), limit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(bounded, opts...)
	b := &browser{t: t}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc() // stops the browser process and removes its files
		cancelTime()
	})
	b.ctx = ctx
	require.NoError(t, chromedp.Do(ctx), "start chromium") // the first Run starts the browser
	return b
}

// listen records uncaught exceptions and console errors; failed HTTP
// statuses (the network log) are expected answers of the API.
func (b *browser) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			msg = "console " + string(e.Type)
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError && e.Entry.Source != log.EntrySourceNetwork {
			msg = string(e.Entry.Source) + ": " + e.Entry.Text
		}
	}
	if msg != "" {
		b.mu.Lock()
		b.problems = append(b.problems, msg)
		b.mu.Unlock()
	}
}

func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// stepTimeout bounds each step.
const stepTimeout = 10 * time.Second

// do runs the steps within stepTimeout, failing the test with the step's
// name and what the page shows.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// fail ends the test with err and the page's state.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
	b.t.Fatalf("%s: %v\npage: %s\nproblems: %q", what, err, page, b.takeProblems())
}

// focusJS focuses the first element matching sel, found and focused in
// one script: the overview re-renders its rows every 5 s, and a
// chromedp.Focus, which finds the node and focuses it in two protocol
// calls, failed under load when a refresh replaced the node in between
// ("Could not find node with given id").
func focusJS(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.focus(); return document.activeElement === e; })()`, sel)
		ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("focus %s: no such element, or it cannot take the focus", sel)
		}
		return chromedp.Void{}, err
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, expr)
	return v
}

// waitJS waits until the expression is truthy (within d).
func (b *browser) waitJS(what, expr string, d time.Duration) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail(what+": waiting for "+expr, err)
	}
}

// text returns the text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err, sel)
	return v
}

// screenshot writes docs/screenshots/name.png when asked to.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv(updateScreenshotsEnv) != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	dir := filepath.Join("..", "..", "docs", "screenshots")
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// activeID is the id of the focused element ("" when none), or its tag.
func activeID(b *browser) string {
	return eval[string](b, `document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ''`)
}

// signIn types key in the sign-in form and submits it with Enter.
func (b *browser) signIn(key string) {
	b.t.Helper()
	b.do("sign in",
		chromedp.WaitVisible(chromedp.CSS("#api-key")),
		chromedp.SendKeys(chromedp.CSS("#api-key"), key),
		chromedp.SendKeys(chromedp.CSS("#api-key"), kb.Enter),
	)
}

// TestConsoleInBrowser drives the console in headless Chromium: sign-in
// (a wrong key, then the admin key; the token in memory only), the
// overview, a task enqueued through the API appearing in the list by
// auto-refresh, its detail and cancellation, the DLQ and a retry, pausing
// and resuming a queue from the keyboard (the API agreeing), the
// user role's narrower console, keyboard focus, and the CSP blocking
// inline script. It writes the screenshots of docs/screenshots when
// TASKQ_UPDATE_SCREENSHOTS=1.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t, 50*time.Second)
	base := startServer(t)
	api := apiClient{t: t, base: base}
	wait := 10 * time.Second

	// Sign-in: the key field has focus; a wrong key is refused in words.
	b.do("open", chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(chromedp.CSS("#api-key")))
	require.Equal(t, "api-key", activeID(b), "the key field has focus")
	require.Equal(t, "API key", b.text(`label[for="api-key"]`))
	b.screenshot("signin")
	b.signIn("tq_not-a-real-key")
	b.waitJS("wrong key", `document.getElementById('signin-error').textContent.includes('Sign-in failed')`, wait)
	require.Equal(t, "true", eval[string](b, `document.getElementById('api-key').getAttribute('aria-invalid')`))

	// The admin key: the overview, heading focused, every queue active
	// with a pause button named for its queue.
	eval[bool](b, `(document.getElementById("api-key").value = "") === ""`)
	b.signIn(adminKey)
	b.do("overview", chromedp.WaitVisible(chromedp.CSS(`#queue-rows a[href="#/tasks?queue=default"]`)))
	require.Equal(t, "Overview", b.text("h1"))
	require.Equal(t, "H1", activeID(b), "the view's heading has focus")
	require.Contains(t, b.text("#who"), "admin")
	require.Equal(t, "0", b.text("#dlq-size"))
	require.Equal(t, "Pause queue bulk", eval[string](b, `document.getElementById('queue-toggle-bulk').getAttribute('aria-label')`))
	require.Equal(t, "Pause", b.text("#queue-toggle-bulk"))
	require.Equal(t, "", eval[string](b, `document.cookie`))
	require.Equal(t, 0, eval[int](b, `localStorage.length + sessionStorage.length`), "the token is in memory only")

	// The task list, then a task enqueued through the API appears by
	// auto-refresh, announced in the live region.
	b.do("tasks", chromedp.Click(chromedp.CSS("#nav-tasks")), chromedp.WaitVisible(chromedp.CSS("#task-filters")))
	b.waitJS("first load", `document.getElementById('updated').textContent.startsWith('Updated')`, wait)
	running := api.enqueue(map[string]any{"type": "sleep", "description": "nightly export", "metadata": map[string]any{"duration_ms": 60000}})
	api.enqueue(map[string]any{"type": "noop", "description": "welcome mail"})
	api.enqueue(map[string]any{"type": "noop", "queue": "bulk", "description": "monthly report",
		"run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	b.waitJS("task appears", fmt.Sprintf(`!!document.querySelector('#task-rows tr[data-id=%q]')`, running), wait)
	b.waitJS("announced", `document.getElementById('announce').textContent.includes('new')`, wait)
	b.screenshot("tasks")

	// Filters: status running lists the sleeping task only.
	b.do("filter", chromedp.SetValue(chromedp.CSS("#f-status"), "running"), chromedp.Click(chromedp.CSS(`#task-filters button[type="submit"]`)))
	b.waitJS("filtered", fmt.Sprintf(`location.hash === '#/tasks?status=running' && document.querySelectorAll('#task-rows tr[data-id]').length === 1 && !!document.querySelector('#task-rows tr[data-id=%q]')`, running), wait)

	// The task's detail: fields, timeline; cancel it.
	b.do("detail", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#task-rows tr[data-id=%q] a`, running))), chromedp.WaitVisible(chromedp.CSS("#task-timeline")))
	require.Contains(t, b.text("#task-fields"), "nightly export")
	require.Contains(t, b.text("#task-timeline"), "Created")
	require.Contains(t, b.text("#task-timeline"), "Started")
	b.screenshot("task")
	b.do("cancel", chromedp.Click(chromedp.CSS("#cancel-task")))
	b.waitJS("cancelled", `document.getElementById('task-message').textContent === 'Task cancelled.' && document.getElementById('task-fields').textContent.includes('cancelled')`, wait)
	api.waitStatus(running, "cancelled")
	require.Equal(t, "H1", activeID(b), "focus moves to the heading when the pressed button goes away")
	b.waitJS("timeline", `document.getElementById('task-timeline').textContent.includes('Cancelled')`, wait)

	// Dead letters: listed in the DLQ view; one retried from its row, one
	// deleted (after confirming), the rest retried in bulk.
	var dead []string
	for _, d := range []string{"charge card", "sync inventory", "resize image"} {
		dead = append(dead, api.enqueue(map[string]any{"type": "fail", "description": d, "metadata": map[string]any{"retryable": false}}))
	}
	for _, id := range dead {
		api.waitStatus(id, "dead_letter")
	}
	row := func(id string) string { return fmt.Sprintf(`#dlq-rows tr[data-id=%q]`, id) }
	b.do("dlq", chromedp.Click(chromedp.CSS("#nav-dlq")), chromedp.WaitVisible(chromedp.CSS(row(dead[2]))))
	require.Contains(t, b.text(row(dead[0])), "failing as asked")
	b.screenshot("dlq")
	b.do("retry", chromedp.Click(chromedp.CSS(row(dead[0])+" button.retry")))
	b.waitJS("retried", `document.getElementById('bulk-status').textContent.startsWith('Retried')`, wait)
	// The list reloads after the retry: wait for the new rows before
	// pressing a button in them. The retried task is either gone from the
	// list (pending again) or back with one DLQ retry (it failed again).
	b.waitJS("reloaded", fmt.Sprintf(`(r => r === null || r.cells[5].textContent === '1')(document.querySelector('%s'))`, row(dead[0])), wait)
	b.do("delete", chromedp.Click(chromedp.CSS(row(dead[2])+" button.delete")))
	require.Equal(t, "Confirm delete", b.text(row(dead[2])+" button.delete"))
	b.do("confirm delete", chromedp.Click(chromedp.CSS(row(dead[2])+" button.delete")))
	b.waitJS("deleted", fmt.Sprintf(`document.getElementById('bulk-status').textContent === 'Deleted %s.'`, dead[2]), wait)
	code, _ := api.call("GET", "/api/tasks/"+dead[2], adminKey, nil)
	require.Equal(t, http.StatusNotFound, code, "deleted for good")
	b.do("bulk retry", chromedp.Click(chromedp.CSS("#retry-all")))
	b.waitJS("bulk done", `/^Retried \d+ of \d+/.test(document.getElementById('bulk-status').textContent)`, wait)
	for _, id := range dead[:2] {
		_, out := api.call("GET", "/api/tasks/"+id, adminKey, nil)
		require.GreaterOrEqual(t, out["dlq_retry_count"], 1.0, "retried: %v", out)
	}

	// Keyboard: Tab from the heading reaches the filter field first.
	b.do("focus heading", focusJS("h1"), chromedp.KeyEvent(kb.Tab))
	require.Equal(t, "d-type", activeID(b))

	// The overview now shows the work done: throughput, errors, DLQ size
	// and a queue holding a scheduled task.
	b.do("overview again", chromedp.Click(chromedp.CSS("#nav-overview")), chromedp.WaitVisible(chromedp.CSS(`#queue-rows a[href="#/tasks?queue=bulk"]`)))
	b.waitJS("figures", `document.getElementById('throughput').textContent !== '0 / min' && document.getElementById('dlq-size').textContent !== '0'`, wait)
	require.Regexp(t, `^bulk active 1 1 0 1 0 Pause$`, strings.Join(strings.Fields(b.text(`#queue-rows tr:nth-child(2)`)), " "))

	// Pause bulk from the keyboard (Tab to its button, Enter): the row
	// says paused, the button becomes Resume and keeps the focus, the
	// change is announced, and the API agrees.
	queueState := func(name string) any {
		code, out := api.call("GET", "/api/queues", adminKey, nil)
		require.Equal(t, http.StatusOK, code, out)
		for _, q := range out["queues"].([]any) {
			if q := q.(map[string]any); q["name"] == name {
				return q["paused"]
			}
		}
		t.Fatalf("queue %s not listed: %v", name, out)
		return nil
	}
	b.do("focus pause", focusJS(`#queue-rows a[href="#/tasks?queue=bulk"]`), chromedp.KeyEvent(kb.Tab))
	require.Equal(t, "queue-toggle-bulk", activeID(b), "Tab moves from the queue's link to its button")
	b.do("pause", chromedp.KeyEvent(kb.Enter))
	b.waitJS("paused", `document.querySelector('#queue-rows tr[data-queue="bulk"] .status').textContent === 'paused' && document.getElementById('queue-toggle-bulk').textContent === 'Resume'`, wait)
	require.Equal(t, "queue-toggle-bulk", activeID(b), "the button keeps the focus")
	require.Equal(t, "Resume queue bulk", eval[string](b, `document.getElementById('queue-toggle-bulk').getAttribute('aria-label')`))
	b.waitJS("pause announced", `document.getElementById('announce').textContent.startsWith('Queue bulk paused')`, wait)
	require.Contains(t, b.text("#queue-status"), "Queue bulk paused")
	require.Equal(t, true, queueState("bulk"))
	require.Equal(t, false, queueState("default"))
	b.do("refresh", chromedp.Click(chromedp.CSS("#refresh-now")))
	b.waitJS("still paused", `document.getElementById('updated').textContent.startsWith('Updated') && document.getElementById('queue-toggle-bulk').textContent === 'Resume'`, wait)
	b.do("blur", focusJS("h1"))
	b.screenshot("overview")
	if os.Getenv(updateScreenshotsEnv) == "1" {
		b.do("dark", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}))
		b.screenshot("overview-dark")
	}

	// A refresh with new figures updates the rows in place: the button is
	// still the same element, so focus and a key press on it survive.
	require.Equal(t, "yes", eval[string](b, `document.getElementById('queue-toggle-bulk').dataset.kept = 'yes'`))
	api.enqueue(map[string]any{"type": "noop", "queue": "bulk",
		"run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	b.do("refresh with a new task", chromedp.Click(chromedp.CSS("#refresh-now")))
	b.waitJS("size 2", `document.querySelector('#queue-rows tr[data-queue="bulk"] td:nth-child(3)').textContent === '2'`, wait)
	require.Equal(t, "yes", eval[string](b, `document.getElementById('queue-toggle-bulk').dataset.kept ?? ''`),
		"the refresh replaced the button instead of updating its row")

	// Resume it with the space bar: active again, here and in the API.
	b.do("focus resume", focusJS("#queue-toggle-bulk"), chromedp.KeyEvent(" "))
	b.waitJS("resumed", `document.querySelector('#queue-rows tr[data-queue="bulk"] .status').textContent === 'active' && document.getElementById('queue-toggle-bulk').textContent === 'Pause'`, wait)
	b.waitJS("resume announced", `document.getElementById('announce').textContent.startsWith('Queue bulk resumed')`, wait)
	require.Equal(t, "queue-toggle-bulk", activeID(b))
	require.Equal(t, false, queueState("bulk"))

	// A user's console: no overview, no DLQ, own tasks only, cancel only.
	_, key := api.call("POST", "/api/keys", adminKey, map[string]any{"name": "operator", "role": "user"})
	b.do("sign out", chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#api-key")))
	require.Contains(t, b.text("#signin-notice"), "signed out")
	b.signIn(key["key"].(string))
	b.do("user tasks", chromedp.WaitVisible(chromedp.CSS("#task-filters")))
	require.Equal(t, "Tasks", b.text("h1"))
	require.True(t, eval[bool](b, `document.getElementById('nav-dlq').closest('li').hidden && document.getElementById('nav-overview').closest('li').hidden`))
	require.False(t, eval[bool](b, `!!document.getElementById('f-owner')`), "no owner filter for users")
	b.waitJS("empty list", `document.querySelector('#task-rows .empty') !== null`, wait)

	require.Empty(t, b.takeProblems(), "the pages ran without errors or CSP violations")

	// The CSP blocks inline script.
	blocked := eval[bool](b, `(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.head.appendChild(s); return window.__inline === undefined; })()`)
	require.True(t, blocked, "inline script must not run")
	deadline := time.Now().Add(wait)
	for {
		if p := strings.Join(b.takeProblems(), "\n"); strings.Contains(p, "Content Security Policy") {
			break
		}
		require.True(t, time.Now().Before(deadline), "the CSP violation was reported")
		time.Sleep(20 * time.Millisecond)
	}
}
