package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// The queue and schedule endpoints: GET /api/queues, POST
// /api/queues/{name}/pause and /resume, GET /api/schedules. An older
// server without them answers 404 "no such route", reported as not
// supported (exit code 8); an unknown queue is 404 not_found (exit code
// 3).

// listObjects prints the list under key of the answer of GET path.
func (c *cmdContext) listObjects(path, key string, preferred ...string) error {
	return c.listObjectsWith(path, key, nil, preferred...)
}

// listObjectsWith is listObjects with each row passed through flatten
// (when not nil) before the table is printed.
func (c *cmdContext) listObjectsWith(path, key string, flatten func(map[string]json.RawMessage), preferred ...string) error {
	raw, err := c.api.getJSON(c.ctx(), path, nil, nil)
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	var body map[string]json.RawMessage
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return fmt.Errorf("GET %s: unexpected answer: %w", path, err)
	}
	if err := json.Unmarshal(body[key], &rows); err != nil {
		return fmt.Errorf("GET %s: unexpected answer in %q: %w", path, key, err)
	}
	if flatten != nil {
		for _, r := range rows {
			flatten(r)
		}
	}
	return genericTable(c.stdout, rows, preferred...)
}

// queueColumns are the columns of the queue tables, in order.
var queueColumns = []string{"name", "paused", "size", "pending", "running"}

func queuesList(c *cmdContext, args []string) error {
	if _, err := c.setup(c.flags(), args, 0, 0, ""); err != nil {
		return err
	}
	return c.listObjectsWith("/api/queues", "queues", flattenQueueTasks,
		slices.Concat(queueColumns, []string{"ready", "scheduled", "failed", "dead_letter", "oldest_pending"})...)
}

// queueAction pauses or resumes a queue and prints the queue the server
// answers, as a one-row table like "queues list" or as JSON.
func queueAction(c *cmdContext, args []string, action string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "NAME")
	if err != nil {
		return err
	}
	path := "/api/queues/" + url.PathEscape(pos[0]) + "/" + action
	raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: path})
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil {
		return fmt.Errorf("POST %s: unexpected answer: %w", path, err)
	}
	return genericTable(c.stdout, []map[string]json.RawMessage{row}, queueColumns...)
}

func queuesPause(c *cmdContext, args []string) error  { return queueAction(c, args, "pause") }
func queuesResume(c *cmdContext, args []string) error { return queueAction(c, args, "resume") }

func schedulesList(c *cmdContext, args []string) error {
	if _, err := c.setup(c.flags(), args, 0, 0, ""); err != nil {
		return err
	}
	return c.listObjects("/api/schedules", "schedules", "name", "spec", "timezone", "type", "missed", "next_run", "last_run", "last_error")
}
