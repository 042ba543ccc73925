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

func dlqRetry(c *cmdContext, args []string) error {
	fs := c.flags()
	all := fs.Bool("all", false, "retry by filter with no filter: the oldest entries, up to --limit")
	typ := fs.String("type", "", "bulk: only this task type")
	code := fs.String("code", "", "bulk: only entries whose final error has this code (e.g. task_timeout)")
	since := fs.String("since", "", "bulk: only entries dead-lettered at or after this RFC 3339 time, or this long ago (e.g. 24h)")
	until := fs.String("until", "", "bulk: only entries dead-lettered before this RFC 3339 time, or this long ago (default: now)")
	limit := fs.Int("limit", 0, "bulk: try at most this many matching entries, oldest first, 1-1000 (server default 100)")
	pos, err := c.setup(fs, args, 0, 1, "ID | --all | --type T --code C --since TIME --until TIME")
	if err != nil {
		return err
	}
	bulk := *all || *typ != "" || *code != "" || *since != "" || *until != "" || *limit != 0
	switch {
	case bulk && len(pos) == 1:
		return errorf("give an ID or filters (--all, --type, --code, --since, --until, --limit), not both")
	case !bulk && len(pos) == 0:
		return errorf("missing ID (or --all, or filters, to retry in bulk)")
	case *limit < 0 || *limit > 1000:
		return errorf("--limit must be between 1 and 1000")
	}
	if !bulk {
		raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: dlqPath(pos[0]) + "/retry"})
		if err != nil {
			return err
		}
		return c.printTask(raw)
	}
	body := map[string]any{}
	setBody := func(k, v string) {
		if v != "" {
			body[k] = v
		}
	}
	setBody("type", *typ)
	setBody("error_code", *code)
	for _, tf := range []struct{ name, v string }{{"since", *since}, {"until", *until}} {
		if tf.v == "" {
			continue
		}
		at, err := timeOrAgo(tf.name, tf.v)
		if err != nil {
			return err
		}
		body[tf.name] = at.UTC().Format(time.RFC3339Nano)
	}
	if *limit != 0 {
		body["limit"] = *limit
	}
	raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: "/api/dlq/retry", body: body})
	if err != nil {
		return err
	}
	var res bulkRetry
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	if c.json() {
		err = printJSON(c.stdout, raw)
	} else {
		err = c.printBulkRetry(res)
	}
	if err != nil {
		return err
	}
	if res.FailedCount > 0 {
		return &exitErr{code: exitConflict, msg: fmt.Sprintf("%d of %d matching entries could not be retried", res.FailedCount, res.FailedCount+res.RetriedCount)}
	}
	return nil
}

// bulkRetry is the answer of POST /api/dlq/retry.
type bulkRetry struct {
	RetriedCount int      `json:"retried_count"`
	FailedCount  int      `json:"failed_count"`
	Retried      []string `json:"retried"`
	Failed       []struct {
		ID      string `json:"id"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"failed"`
	More bool `json:"more"`
}

func (c *cmdContext) printBulkRetry(res bulkRetry) error {
	if res.RetriedCount+res.FailedCount == 0 {
		_, err := fmt.Fprintln(c.stdout, "nothing to retry: the dead letter queue has no matching task")
		return err
	}
	tb := newTable(c.stdout, "ID", "RESULT")
	for _, id := range res.Retried {
		tb.row(id, "retried")
	}
	for _, f := range res.Failed {
		tb.row(f.ID, "failed: "+f.Code+": "+f.Message)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.stdout, "retried %d, failed %d\n", res.RetriedCount, res.FailedCount); err != nil {
		return err
	}
	if res.More {
		_, err := fmt.Fprintln(c.stderr, "more entries match: run the command again")
		return err
	}
	return nil
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
