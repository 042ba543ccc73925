package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// task is the part of the API's task object this program shows.
type task struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Status         string          `json:"status"`
	Priority       int             `json:"priority"`
	Description    string          `json:"description"`
	Created        *time.Time      `json:"created"`
	Updated        *time.Time      `json:"updated"`
	CompletedAt    *time.Time      `json:"completed_at"`
	Deadline       *time.Time      `json:"deadline"`
	RetryCount     int             `json:"retry_count"`
	MaxRetries     int             `json:"max_retries"`
	Error          *taskError      `json:"error"`
	Result         json.RawMessage `json:"result"`
	Metadata       json.RawMessage `json:"metadata"`
	Queue          string          `json:"queue"`
	RunAt          *time.Time      `json:"run_at"`
	StartedAt      *time.Time      `json:"started_at"`
	TimeoutMS      int64           `json:"timeout_ms"`
	Attempts       int             `json:"attempts"`
	DLQRetryCount  int             `json:"dlq_retry_count"`
	DeadLetteredAt *time.Time      `json:"dead_lettered_at"`
	Owner          string          `json:"owner"`
	IdempotencyKey string          `json:"idempotency_key"`
}

type taskError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// terminal reports whether a status is final.
func terminal(status string) bool {
	return status == "completed" || status == "cancelled" || status == "dead_letter"
}

// taskPage is the answer of GET /api/tasks and GET /api/dlq.
type taskPage struct {
	Tasks      []json.RawMessage `json:"tasks"`
	NextCursor *string           `json:"next_cursor"`
}

func decodeTask(raw json.RawMessage) (*task, error) {
	var t task
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("unexpected task: %w", err)
	}
	return &t, nil
}

// printTask prints one task: JSON as the server sent it, or a field list.
func (c *cmdContext) printTask(raw json.RawMessage) error {
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	t, err := decodeTask(raw)
	if err != nil {
		return err
	}
	tb := newTable(c.stdout, "FIELD", "VALUE")
	add := func(k, v string) { tb.row(k, v) }
	add("id", t.ID)
	add("type", t.Type)
	add("status", t.Status)
	add("priority", priorityName(t.Priority))
	add("queue", t.Queue)
	add("description", orDash(t.Description))
	add("owner", orDash(t.Owner))
	add("attempts", strconv.Itoa(t.Attempts))
	add("retries", fmt.Sprintf("%d of %d", t.RetryCount, t.MaxRetries))
	add("dlq_retries", strconv.Itoa(t.DLQRetryCount))
	add("created", when(t.Created))
	add("updated", when(t.Updated))
	add("run_at", when(t.RunAt))
	add("started_at", when(t.StartedAt))
	add("completed_at", when(t.CompletedAt))
	add("deadline", when(t.Deadline))
	if t.TimeoutMS > 0 {
		add("timeout", (time.Duration(t.TimeoutMS) * time.Millisecond).String())
	}
	if t.DeadLetteredAt != nil {
		add("dead_lettered_at", when(t.DeadLetteredAt))
	}
	if t.IdempotencyKey != "" {
		add("idempotency_key", t.IdempotencyKey)
	}
	if t.Error != nil {
		add("error", fmt.Sprintf("%s: %s (retryable: %t)", t.Error.Code, t.Error.Message, t.Error.Retryable))
	}
	add("metadata", compact(t.Metadata))
	add("result", compact(t.Result))
	return tb.flush()
}

// printTasks prints a list of tasks as a table.
func printTasks(w io.Writer, tasks []json.RawMessage, dlq bool) error {
	last := "CREATED"
	if dlq {
		last = "DEAD_LETTERED"
	}
	tb := newTable(w, "ID", "TYPE", "STATUS", "PRIORITY", "QUEUE", "ATTEMPTS", last, "DESCRIPTION")
	for _, raw := range tasks {
		t, err := decodeTask(raw)
		if err != nil {
			return err
		}
		at := t.Created
		if dlq {
			at = t.DeadLetteredAt
		}
		tb.row(t.ID, t.Type, t.Status, priorityName(t.Priority), t.Queue, strconv.Itoa(t.Attempts), when(at), clip(orDash(t.Description), 40))
	}
	return tb.flush()
}

// listPages lists path (tasks or DLQ) with query: one page, or with all
// every page (the cursor followed). It prints the result.
func (c *cmdContext) listPages(path string, query url.Values, all, dlq bool) error {
	var out taskPage
	out.Tasks = []json.RawMessage{}
	for {
		var page taskPage
		if _, err := c.api.getJSON(c.ctx(), path, query, &page); err != nil {
			return err
		}
		out.Tasks = append(out.Tasks, page.Tasks...)
		out.NextCursor = page.NextCursor
		if !all || page.NextCursor == nil {
			break
		}
		query.Set("cursor", *page.NextCursor)
	}
	if c.json() {
		return printJSON(c.stdout, out)
	}
	if err := printTasks(c.stdout, out.Tasks, dlq); err != nil {
		return err
	}
	if out.NextCursor != nil {
		fmt.Fprintf(c.stderr, "more: --cursor %s (or --all)\n", *out.NextCursor)
	}
	return nil
}

func tasksList(c *cmdContext, args []string) error {
	fs := c.flags()
	status := fs.String("status", "", "only these statuses (comma-separated)")
	typ := fs.String("type", "", "only this task type")
	prio := fs.String("priority", "", "only this priority (0-3 or name)")
	limit := fs.Int("limit", 0, "page size, 1-1000 (server default 50)")
	cursor := fs.String("cursor", "", "continue after this cursor")
	all := fs.Bool("all", false, "follow the cursor to the last page")
	if _, err := c.setup(fs, args, 0, 0, ""); err != nil {
		return err
	}
	q := url.Values{}
	setIf(q, "status", *status)
	setIf(q, "type", *typ)
	setIf(q, "priority", *prio)
	setIf(q, "cursor", *cursor)
	if *limit != 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	return c.listPages("/api/tasks", q, *all, false)
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func taskPath(id string) string { return "/api/tasks/" + url.PathEscape(id) }

func tasksGet(c *cmdContext, args []string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	raw, err := c.api.getJSON(c.ctx(), taskPath(pos[0]), nil, nil)
	if err != nil {
		return err
	}
	return c.printTask(raw)
}

func tasksCancel(c *cmdContext, args []string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	raw, err := c.api.do(c.ctx(), request{method: http.MethodDelete, path: taskPath(pos[0])})
	if err != nil {
		return err
	}
	return c.printTask(raw)
}

func tasksEnqueue(c *cmdContext, args []string) error {
	fs := c.flags()
	typ := fs.String("type", "", "task type (or the first argument)")
	metadata := fs.String("metadata", "", "the task's input: a JSON object, or @FILE (@- for stdin)")
	desc := fs.String("description", "", "free text for people")
	prio := fs.String("priority", "", "0-3 or low, medium, high, critical")
	maxRetries := fs.Int("max-retries", -1, "retries of a failing task (0-100; server default 3)")
	queue := fs.String("queue", "", "queue (one the server serves)")
	runAt := fs.String("run-at", "", "RFC 3339 time to run at")
	deadline := fs.String("deadline", "", "RFC 3339 time after which the task is not started")
	attemptTimeout := fs.Duration("attempt-timeout", 0, "bound of one attempt")
	idem := fs.String("idempotency-key", "", "Idempotency-Key: the same key and request return the same task")
	uniq := addUniqueFlags(fs)
	pos, err := c.setup(fs, args, 0, 1, "TYPE")
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		if *typ != "" && *typ != pos[0] {
			return errorf("the type is given twice (%q and --type %q)", pos[0], *typ)
		}
		*typ = pos[0]
	}
	if *typ == "" {
		return errorf("missing TYPE (usage: taskq tasks enqueue TYPE [flags])")
	}
	body := map[string]any{"type": *typ}
	if *metadata != "" {
		md, err := readMetadata(*metadata)
		if err != nil {
			return err
		}
		body["metadata"] = md
	}
	if *desc != "" {
		body["description"] = *desc
	}
	if *prio != "" {
		p, err := priorityValue(*prio)
		if err != nil {
			return err
		}
		body["priority"] = p
	}
	if *maxRetries >= 0 {
		body["max_retries"] = *maxRetries
	}
	if *queue != "" {
		body["queue"] = *queue
	}
	for flagName, v := range map[string]string{"run-at": *runAt, "deadline": *deadline} {
		if v == "" {
			continue
		}
		t, err := parseTime(flagName, v)
		if err != nil {
			return err
		}
		body[strings.ReplaceAll(flagName, "-", "_")] = t.UTC().Format(time.RFC3339Nano)
	}
	if *attemptTimeout < 0 {
		return errorf("--attempt-timeout must not be negative")
	}
	if *attemptTimeout > 0 {
		body["timeout_ms"] = attemptTimeout.Milliseconds()
	}
	if u, err := uniq.body(); err != nil {
		return err
	} else if u != nil {
		body["unique"] = u
	}
	r := request{method: http.MethodPost, path: "/api/tasks", body: body}
	if *idem != "" {
		r.header = map[string]string{"Idempotency-Key": *idem}
	}
	raw, err := c.api.do(c.ctx(), r)
	if err != nil {
		return err
	}
	return c.printTask(raw)
}

// readMetadata reads --metadata: inline JSON or @FILE (@- is stdin,
// which this program does not read in tests).
func readMetadata(v string) (json.RawMessage, error) {
	b := []byte(v)
	if name, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if name == "-" {
			b, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
		} else {
			b, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, errorf("--metadata: %v", err)
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, errorf("--metadata must be a JSON object, such as '{\"duration_ms\":100}'")
	}
	return json.RawMessage(b), nil
}

func tasksWait(c *cmdContext, args []string) error {
	fs := c.flags()
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long (exit code 7)")
	interval := fs.Duration("interval", 500*time.Millisecond, "time between two polls")
	pos, err := c.setup(fs, args, 1, 1, "ID")
	if err != nil {
		return err
	}
	if *timeout <= 0 || *interval <= 0 {
		return errorf("--timeout and --interval must be positive")
	}
	deadline := time.Now().Add(*timeout)
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	for {
		raw, err := c.api.getJSON(c.ctx(), taskPath(pos[0]), nil, nil)
		if err != nil {
			return err
		}
		t, err := decodeTask(raw)
		if err != nil {
			return err
		}
		if terminal(t.Status) {
			if err := c.printTask(raw); err != nil {
				return err
			}
			if t.Status != "completed" {
				return &exitErr{code: exitError, msg: fmt.Sprintf("task %s ended %s", t.ID, t.Status)}
			}
			return nil
		}
		if !time.Now().Before(deadline) {
			if err := c.printTask(raw); err != nil {
				return err
			}
			return &exitErr{code: exitTimeout, msg: fmt.Sprintf("task %s is still %s after %s", t.ID, t.Status, *timeout)}
		}
		<-ticker.C
	}
}
