package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswer bounds an answer read from the server.
const maxAnswer = 64 << 20

// client calls the HTTP API.
type client struct {
	base, key string
	http      *http.Client
}

// apiError is a non-2xx answer in the API's error shape.
type apiError struct {
	Method, Path string
	Status       int
	Code         string       `json:"code"`
	Message      string       `json:"message"`
	RequestID    string       `json:"request_id"`
	Details      []fieldError `json:"details"`
	RetryAfter   string
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// unsupported reports whether the server lacks the endpoint (as opposed
// to the thing the endpoint names).
func (e *apiError) unsupported() bool {
	return e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusNotFound && e.Message == "no such route"
}

func (e *apiError) Error() string {
	if e.unsupported() {
		return fmt.Sprintf("server does not support this (%d): %s %s is not an endpoint of this server", e.Status, e.Method, e.Path)
	}
	var b strings.Builder
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	b.WriteString(msg)
	for _, d := range e.Details {
		if d.Field+" "+d.Message != msg {
			fmt.Fprintf(&b, "; %s %s", d.Field, d.Message)
		}
	}
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.RetryAfter != "" {
		b.WriteString(", retry after " + e.RetryAfter + " s")
	}
	if e.RequestID != "" {
		b.WriteString(", request id " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// exitErr ends the program with code and message (msg may be empty).
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var (
		ae *apiError
		ue *usageErr
		ee *exitErr
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae):
		switch {
		case ae.unsupported():
			return exitUnsupported
		case ae.Status == http.StatusNotFound:
			return exitNotFound
		case ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden:
			return exitAuth
		case ae.Status == http.StatusConflict:
			return exitConflict
		case ae.Status == http.StatusBadRequest || ae.Status == http.StatusRequestEntityTooLarge ||
			ae.Status == http.StatusUnprocessableEntity:
			return exitInvalid
		}
	}
	return exitError
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	body         any // encoded as JSON when not nil
	header       map[string]string
}

// do sends r and returns the answer's body (nil for 204); a non-2xx
// answer is an *apiError.
func (c *client) do(ctx context.Context, r request) (json.RawMessage, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, errorf("server URL: %v", err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "taskq-cli")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		hr.Header.Set("X-API-Key", c.key)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, c.base+r.path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(raw)) == 0 {
			return nil, nil
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s %s: the answer is not JSON", r.method, r.path)
		}
		return raw, nil
	}
	ae := &apiError{Method: r.method, Path: r.path, Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	var env struct {
		Error *apiError `json:"error"`
	}
	env.Error = ae
	_ = json.Unmarshal(raw, &env) // a non-JSON error body keeps the status only
	return nil, ae
}

// unwrapURLError drops the *url.Error wrapper (its text repeats the URL).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

// get calls GET path and decodes the answer into v (when not nil).
func (c *client) getJSON(ctx context.Context, path string, query url.Values, v any) (json.RawMessage, error) {
	raw, err := c.do(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return nil, err
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return nil, fmt.Errorf("GET %s: unexpected answer: %w", path, err)
		}
	}
	return raw, nil
}

// newClient builds the client of resolved settings.
func newClient(s settings, timeout time.Duration) *client {
	return &client{base: s.url, key: s.apiKey, http: &http.Client{Timeout: timeout}}
}
