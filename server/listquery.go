package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// maxCursorLen bounds a cursor query parameter.
const maxCursorLen = 512

// queryParams checks that q holds only allowed keys, each once, and
// returns the single values.
func queryParams(q url.Values, allowed ...string) (map[string]string, error) {
	out := make(map[string]string, len(q))
	for k, vs := range q {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return nil, badQuery("unknown query parameter %q (allowed: %s)", clip(k, 40), strings.Join(allowed, ", "))
		}
		if len(vs) != 1 {
			return nil, badQuery("query parameter %q given more than once", k)
		}
		out[k] = vs[0]
	}
	return out, nil
}

func badQuery(format string, args ...any) error {
	return apiError(taskq.CodeInvalidInput, fmt.Sprintf(format, args...))
}

// parseLimit parses a page size: 1 to taskq.MaxPageSize; empty is the
// default.
func parseLimit(v string) (int, error) {
	if v == "" {
		return taskq.DefaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > taskq.MaxPageSize {
		return 0, badQuery("limit must be an integer between 1 and %d", taskq.MaxPageSize)
	}
	return n, nil
}

// parseCursor checks an opaque cursor's shape; the storage checks the rest.
func parseCursor(v string) (string, error) {
	if len(v) > maxCursorLen {
		return "", badQuery("cursor is too long")
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return "", badQuery("cursor is malformed")
		}
	}
	return v, nil
}

func parseType(v string) (string, error) {
	if v != "" && !names.Valid(v, taskq.MaxTypeLength) {
		return "", badQuery("type must be 1-%d characters of letters, digits and ._:-/", taskq.MaxTypeLength)
	}
	return v, nil
}

// maxOwnerLength bounds the owner query parameter (a principal id).
const maxOwnerLength = 128

// parseTaskListQuery parses the query of GET /api/tasks: status (a name,
// or several comma-separated), type, priority (name or 0-3), queue, owner,
// limit, cursor. Every problem is invalid_input.
func parseTaskListQuery(q url.Values) (taskq.TaskFilter, error) {
	var f taskq.TaskFilter
	p, err := queryParams(q, "status", "type", "priority", "queue", "owner", "limit", "cursor")
	if err != nil {
		return f, err
	}
	if v, ok := p["status"]; ok {
		for _, part := range strings.Split(v, ",") {
			st, err := taskq.ParseTaskStatus(strings.TrimSpace(part))
			if err != nil || part == "" {
				return f, badQuery("status must be one or more of pending, running, completed, failed, cancelled, dead_letter")
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if f.Type, err = parseType(p["type"]); err != nil {
		return f, err
	}
	if v, ok := p["priority"]; ok {
		pr, err := taskq.ParseTaskPriority(v)
		if err != nil {
			return f, badQuery("priority must be low, medium, high, critical or 0-3")
		}
		f.Priority = &pr
	}
	if v := p["queue"]; v != "" && !names.Valid(v, taskq.MaxQueueNameLength) {
		return f, badQuery("queue must be 1-%d characters of letters, digits and ._:-/", taskq.MaxQueueNameLength)
	}
	f.Queue = p["queue"]
	if v := p["owner"]; v != "" && !names.Valid(v, maxOwnerLength) {
		return f, badQuery("owner must be 1-%d characters of letters, digits and ._:-/", maxOwnerLength)
	}
	f.Owner = p["owner"]
	if f.Limit, err = parseLimit(p["limit"]); err != nil {
		return f, err
	}
	f.Cursor, err = parseCursor(p["cursor"])
	return f, err
}

// parseDLQListQuery parses the query of GET /api/dlq: type, limit, cursor.
func parseDLQListQuery(q url.Values) (taskq.DeadLetterFilter, error) {
	var f taskq.DeadLetterFilter
	p, err := queryParams(q, "type", "limit", "cursor")
	if err != nil {
		return f, err
	}
	if f.Type, err = parseType(p["type"]); err != nil {
		return f, err
	}
	if f.Limit, err = parseLimit(p["limit"]); err != nil {
		return f, err
	}
	f.Cursor, err = parseCursor(p["cursor"])
	return f, err
}
