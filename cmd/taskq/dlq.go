package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

func dlqPath(id string) string { return "/api/dlq/" + url.PathEscape(id) }

func dlqList(c *cmdContext, args []string) error {
	fs := c.flags()
	typ := fs.String("type", "", "only this task type")
	limit := fs.Int("limit", 0, "page size, 1-1000 (server default 50)")
	cursor := fs.String("cursor", "", "continue after this cursor")
	all := fs.Bool("all", false, "follow the cursor to the last page")
	if _, err := c.setup(fs, args, 0, 0, ""); err != nil {
		return err
	}
	q := url.Values{}
	setIf(q, "type", *typ)
	setIf(q, "cursor", *cursor)
	if *limit != 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	return c.listPages("/api/dlq", q, *all, true)
}

// retryOutcome is one line of a bulk retry.
type retryOutcome struct {
	ID    string          `json:"id"`
	Task  json.RawMessage `json:"task,omitempty"`
	Error string          `json:"error,omitempty"`
	err   error
}

func dlqRetry(c *cmdContext, args []string) error {
	fs := c.flags()
	all := fs.Bool("all", false, "retry every DLQ entry matching --type, up to --limit")
	typ := fs.String("type", "", "with --all: only this task type")
	limit := fs.Int("limit", 100, "with --all: retry at most this many (oldest first)")
	pos, err := c.setup(fs, args, 0, 1, "ID | --all")
	if err != nil {
		return err
	}
	switch {
	case *all && len(pos) == 1:
		return errorf("give an ID or --all, not both")
	case !*all && len(pos) == 0:
		return errorf("missing ID (or --all to retry by filter)")
	case !*all && *typ != "":
		return errorf("--type needs --all")
	case *limit < 1:
		return errorf("--limit must be at least 1")
	}
	if !*all {
		raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: dlqPath(pos[0]) + "/retry"})
		if err != nil {
			return err
		}
		return c.printTask(raw)
	}
	ids, err := c.dlqIDs(*typ, *limit)
	if err != nil {
		return err
	}
	var outs []retryOutcome
	var firstErr error
	for _, id := range ids {
		raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: dlqPath(id) + "/retry"})
		o := retryOutcome{ID: id, Task: raw, err: err}
		if err != nil {
			o.Error = err.Error()
			if firstErr == nil {
				firstErr = err
			}
		}
		outs = append(outs, o)
	}
	if err := c.printRetries(outs); err != nil {
		return err
	}
	if firstErr != nil {
		failed := 0
		for _, o := range outs {
			if o.err != nil {
				failed++
			}
		}
		return &exitErr{code: exitCode(firstErr), msg: fmt.Sprintf("%d of %d retries failed; the first: %v", failed, len(outs), firstErr)}
	}
	return nil
}

// dlqIDs lists up to limit DLQ entries of typ (all types when empty),
// oldest first, before any is retried (a retry takes the entry out of the
// listing).
func (c *cmdContext) dlqIDs(typ string, limit int) ([]string, error) {
	q := url.Values{}
	setIf(q, "type", typ)
	var ids []string
	for len(ids) < limit {
		q.Set("limit", strconv.Itoa(min(limit-len(ids), 1000)))
		var page struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
			NextCursor *string `json:"next_cursor"`
		}
		if _, err := c.api.getJSON(c.ctx(), "/api/dlq", q, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Tasks {
			ids = append(ids, t.ID)
		}
		if page.NextCursor == nil {
			break
		}
		q.Set("cursor", *page.NextCursor)
	}
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

func (c *cmdContext) printRetries(outs []retryOutcome) error {
	if c.json() {
		if outs == nil {
			outs = []retryOutcome{}
		}
		return printJSON(c.stdout, map[string]any{"results": outs})
	}
	if len(outs) == 0 {
		_, err := fmt.Fprintln(c.stdout, "nothing to retry: the dead letter queue has no matching task")
		return err
	}
	tb := newTable(c.stdout, "ID", "RESULT", "RUN_AT")
	for _, o := range outs {
		if o.err != nil {
			tb.row(o.ID, "failed: "+o.Error, "-")
			continue
		}
		t, err := decodeTask(o.Task)
		if err != nil {
			return err
		}
		tb.row(o.ID, "retried ("+t.Status+")", when(t.RunAt))
	}
	return tb.flush()
}

func dlqDelete(c *cmdContext, args []string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	if _, err := c.api.do(c.ctx(), request{method: http.MethodDelete, path: dlqPath(pos[0])}); err != nil {
		return err
	}
	return c.printDone(pos[0], "deleted", "deleted task "+pos[0]+" from the dead letter queue")
}

// printDone reports an action without an answer body.
func (c *cmdContext) printDone(id, result, text string) error {
	if c.json() {
		return printJSON(c.stdout, map[string]string{"id": id, "result": result})
	}
	_, err := fmt.Fprintln(c.stdout, text)
	return err
}

func dlqCleanup(c *cmdContext, args []string) error {
	fs := c.flags()
	olderThan := fs.String("older-than", "", "purge entries dead-lettered before this RFC 3339 time, or this long ago (e.g. 168h); default: the server's retention")
	if _, err := c.setup(fs, args, 0, 0, ""); err != nil {
		return err
	}
	var body any
	if *olderThan != "" {
		t, err := timeOrAgo("older-than", *olderThan)
		if err != nil {
			return err
		}
		body = map[string]string{"older_than": t.UTC().Format(time.RFC3339Nano)}
	}
	raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: "/api/dlq/cleanup", body: body})
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	var res struct {
		Cleaned   int `json:"cleaned"`
		Remaining int `json:"remaining"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	tb := newTable(c.stdout, "CLEANED", "REMAINING")
	tb.row(strconv.Itoa(res.Cleaned), strconv.Itoa(res.Remaining))
	return tb.flush()
}

// timeOrAgo reads an RFC 3339 time, or a duration meaning that long ago.
func timeOrAgo(flagName, v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, errorf("--%s: the duration must not be negative", flagName)
		}
		return time.Now().Add(-d), nil
	}
	t, err := parseTime(flagName, v)
	if err != nil {
		var ue *usageErr
		if errors.As(err, &ue) {
			ue.msg += " or a duration such as 168h"
		}
	}
	return t, err
}
