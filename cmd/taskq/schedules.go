package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// The stored schedule endpoints: POST /api/schedules and DELETE
// /api/schedules/{name} (admin).

func schedulesCreate(c *cmdContext, args []string) error {
	fs := c.flags()
	name := fs.String("name", "", "the schedule's name (or the first argument)")
	cron := fs.String("cron", "", `cron expression (5 fields, or 6 with seconds) or descriptor such as @daily`)
	every := fs.Duration("every", 0, "fixed interval (at least 1s) instead of --cron")
	tz := fs.String("timezone", "", "IANA time zone the cron fields are read in (default UTC)")
	typ := fs.String("type", "", "task type enqueued at each tick")
	metadata := fs.String("metadata", "", "the task's input: a JSON object, or @FILE (@- for stdin)")
	queue := fs.String("queue", "", "queue (one the server serves; default its first)")
	prio := fs.String("priority", "", "0-3 or low, medium, high, critical")
	missed := fs.String("missed", "", "missed tick policy: skip (default) or catch_up_once")
	pos, err := c.setup(fs, args, 0, 1, "NAME")
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		if *name != "" && *name != pos[0] {
			return errorf("the name is given twice (%q and --name %q)", pos[0], *name)
		}
		*name = pos[0]
	}
	switch {
	case *name == "":
		return errorf("missing NAME (usage: taskq schedules create NAME --cron EXPR|--every DUR --type TYPE)")
	case *typ == "":
		return errorf("missing --type")
	case *cron != "" && *every != 0:
		return errorf("give --cron or --every, not both")
	case *cron == "" && *every == 0:
		return errorf("missing --cron EXPR or --every DUR")
	case *every < 0:
		return errorf("--every must be positive")
	}
	spec := *cron
	if *every > 0 {
		spec = "@every " + every.String()
	}
	body := map[string]any{"name": *name, "spec": spec, "type": *typ}
	if *tz != "" {
		body["timezone"] = *tz
	}
	if *metadata != "" {
		md, err := readMetadata(*metadata)
		if err != nil {
			return err
		}
		body["metadata"] = md
	}
	if *queue != "" {
		body["queue"] = *queue
	}
	if *prio != "" {
		p, err := priorityValue(*prio)
		if err != nil {
			return err
		}
		body["priority"] = p
	}
	if *missed != "" {
		body["missed"] = *missed
	}
	raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: "/api/schedules", body: body})
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	return genericTable(c.stdout, []map[string]json.RawMessage{row},
		"name", "spec", "timezone", "type", "queue", "priority", "missed", "created", "metadata")
}

func schedulesDelete(c *cmdContext, args []string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "NAME")
	if err != nil {
		return err
	}
	if _, err := c.api.do(c.ctx(), request{method: http.MethodDelete, path: "/api/schedules/" + url.PathEscape(pos[0])}); err != nil {
		return err
	}
	return c.printDone(pos[0], "deleted", "deleted schedule "+pos[0])
}
