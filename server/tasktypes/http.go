package tasktypes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

// Defaults of HTTPConfig.
const (
	DefaultHTTPTimeout      = 30 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	DefaultMaxRedirects     = 5
	// MaxHTTPBody bounds metadata.body of an http task.
	MaxHTTPBody = 32 << 10
)

// BreakerPrefix starts the circuit breaker name of every host the http
// type calls: "http:" + host.
const BreakerPrefix = "http:"

// BreakerName returns the name of the circuit breaker of host.
func BreakerName(host string) string {
	h, ok := normHost(host)
	if !ok {
		h = "invalid"
	}
	return BreakerPrefix + h
}

// Breakers runs calls through named circuit breakers; *breaker.Registry
// implements it.
type Breakers interface {
	Do(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

// HTTPConfig configures the http type. The zero value works and allows no
// host.
type HTTPConfig struct {
	// Allow is the allow-list of hosts (TASKQ_HTTP_ALLOW).
	Allow AllowList
	// Breakers runs each call through the breaker of its host
	// (BreakerName). Nil: a private breaker.Registry with defaults.
	Breakers Breakers
	// Timeout bounds one request, redirects and body included. Default 30s.
	Timeout time.Duration
	// MaxResponseBytes bounds how much of a response body is read and kept
	// in the result. Default 64 KiB; the rest is discarded unread.
	MaxResponseBytes int64
	// MaxRedirects bounds redirects (each to the same host). Default 5;
	// negative follows none.
	MaxRedirects int
	// Resolver resolves host names at dial time. Nil: net.DefaultResolver.
	Resolver Resolver
}

var httpMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

// httpParams are the checked metadata of an http task.
type httpParams struct {
	url         string
	method      string
	body        []byte
	contentType string
}

// NewHTTPType returns the http type. A task's metadata: url (required, on
// the allow-list), method (GET default; HEAD, POST, PUT, PATCH, DELETE),
// body (a string sent as is, or any other JSON value sent encoded as
// application/json; at most 32 KiB). The result is {"status", "headers"
// (Content-Type only), "body", "truncated"}. A 2xx or 3xx response
// succeeds; 429 and 5xx fail retryably and count against the host's
// breaker; other 4xx fail permanently. Refused URLs fail permanently.
func NewHTTPType(cfg HTTPConfig) (Type, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.Breakers == nil {
		cfg.Breakers = breaker.NewRegistry(breaker.RegistryConfig{})
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	h := &httpHandler{cfg: cfg}
	h.dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	h.client = &http.Client{
		Transport:     h.transport(),
		CheckRedirect: h.checkRedirect,
		Timeout:       cfg.Timeout,
	}
	return Type{
		Name:    HTTP,
		Handler: h,
		Validate: func(md map[string]any) []taskq.FieldError {
			_, ps := h.params(md)
			return ps
		},
	}, nil
}

type httpHandler struct {
	cfg    HTTPConfig
	client *http.Client
	// dial connects to a checked address; tests replace it with a
	// recorder so that a broken check can never reach the network.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (h *httpHandler) params(md map[string]any) (httpParams, []taskq.FieldError) {
	var p httpParams
	var ps []taskq.FieldError
	raw, ok := md["url"].(string)
	if !ok {
		ps = append(ps, problem("url", "is required and must be a string"))
	} else if _, err := h.cfg.Allow.CheckURL(raw); err != nil {
		ps = append(ps, problem("url", err.Error()))
	} else {
		p.url = raw
	}
	method, fe := stringParam(md, "method", 16, http.MethodGet)
	switch {
	case fe != nil:
		ps = append(ps, *fe)
	case !httpMethods[strings.ToUpper(method)]:
		ps = append(ps, problem("method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE"))
	default:
		p.method = strings.ToUpper(method)
	}
	switch b := md["body"].(type) {
	case nil:
	case string:
		p.body = []byte(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			ps = append(ps, problem("body", "must be a string or a JSON value"))
		}
		p.body, p.contentType = enc, "application/json"
	}
	if len(p.body) > MaxHTTPBody {
		ps = append(ps, problem("body", fmt.Sprintf("must be at most %d bytes", MaxHTTPBody)))
	}
	return p, ps
}

// refused marks a call the SSRF guard stopped: permanent, and a fault of the
// request, so it does not count against the host's breaker.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return "refused: " + e.msg }

func refuse(format string, args ...any) error {
	return &refusedError{msg: fmt.Sprintf(format, args...)}
}

// ProcessTask implements taskq.Handler.
func (h *httpHandler) ProcessTask(ctx context.Context, t *taskq.Task) (any, error) {
	p, ps := h.params(t.Metadata)
	if len(ps) > 0 {
		return nil, invalidMetadata(ps)
	}
	u, err := h.cfg.Allow.CheckURL(p.url) // again at run time: the list may have changed
	if err != nil {
		return nil, invalidMetadata([]taskq.FieldError{problem("url", err.Error())})
	}
	var result map[string]any
	err = h.cfg.Breakers.Do(ctx, BreakerName(u.Hostname()), func(ctx context.Context) error {
		var err error
		result, err = h.call(ctx, p)
		return err
	})
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the attempt ended: the worker knows why
	}
	return result, classify(err)
}

// call makes the request and reads a bounded part of the response.
func (h *httpHandler) call(ctx context.Context, p httpParams) (map[string]any, error) {
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, body)
	if err != nil {
		return nil, &taskq.Error{Code: taskq.CodeInvalidInput, Message: "cannot build request", Err: refuse("bad request")}
	}
	req.Header.Set("User-Agent", "taskq-http-task/1")
	if p.contentType != "" {
		req.Header.Set("Content-Type", p.contentType)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		var re *refusedError
		if errors.As(err, &re) {
			// A fault of the request, not of the host: the breaker does
			// not count it.
			return nil, &taskq.Error{Code: taskq.CodeForbidden, Message: re.Error(), Err: re}
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	truncated := int64(len(b)) > h.cfg.MaxResponseBytes
	if truncated {
		b = b[:h.cfg.MaxResponseBytes]
	}
	if err := breaker.CheckResponse(resp); err != nil {
		return nil, err
	}
	out := map[string]any{
		"status":    resp.StatusCode,
		"body":      strings.ToValidUTF8(string(b), string(utf8.RuneError)),
		"truncated": truncated,
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		out["headers"] = map[string]string{"Content-Type": ct}
	}
	return out, nil
}

// classify maps a call's error to the task error the engine acts on.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var re *refusedError
	var se *breaker.HTTPStatusError
	var te *taskq.Error
	switch {
	case errors.As(err, &re):
		return taskq.Permanent(&taskq.Error{Code: taskq.CodeForbidden, Message: re.Error()})
	case errors.As(err, &se):
		e := &taskq.Error{Code: taskq.CodeTaskExecutionFailed, Message: se.Error(), Retryable: true}
		if !breaker.DefaultFailureStatus(se.Code) {
			return taskq.Permanent(e)
		}
		return e
	case errors.As(err, &te):
		return err // an open breaker: service_unavailable with RetryAfter
	}
	return &taskq.Error{Code: taskq.CodeNetwork, Message: "request failed: " + sanitize(err), Retryable: true}
}

// sanitize keeps the kind of a network error without the URL that
// *url.Error would repeat.
func sanitize(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + " failed"
	}
	return "connection error"
}

// checkRedirect lets a redirect through only to the same host, on the
// allow-list, up to MaxRedirects.
func (h *httpHandler) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > h.cfg.MaxRedirects || h.cfg.MaxRedirects < 0 {
		return refuse("too many redirects")
	}
	if err := h.cfg.Allow.checkParsed(req.URL); err != nil {
		return refuse("redirect target %s", err.Error())
	}
	orig, _ := normHost(via[0].URL.Hostname())
	next, _ := normHost(req.URL.Hostname())
	if orig != next {
		return refuse("redirect to another host")
	}
	return nil
}

// transport dials only allowed host:port pairs, resolving names itself.
// Every resolved address is checked: an internal one (loopback, private,
// CGNAT, link-local and cloud metadata, unspecified, multicast, reserved;
// see internalAddr) is dialed only when that exact address and port are on
// the allow-list, so an allow-listed name cannot lead to an internal
// service. Proxies from the environment are ignored.
func (h *httpHandler) transport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, refuse("bad address")
			}
			if !h.cfg.Allow.Allows(host, port, "80", "443") {
				return nil, refuse("host is not on the allow-list")
			}
			ips, err := h.resolve(ctx, host)
			if err != nil {
				return nil, err
			}
			var lastErr error
			for _, ip := range ips {
				if !h.dialable(ip, port) {
					lastErr = refuse("address not allowed: internal addresses must be allow-listed as IP:port")
					continue
				}
				c, err := h.dial(ctx, network, net.JoinHostPort(ip.String(), port))
				if err == nil {
					return c, nil
				}
				lastErr = err
			}
			if lastErr == nil {
				lastErr = refuse("no address")
			}
			return nil, lastErr
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  h.cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

func (h *httpHandler) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ips, err := h.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// dialable reports whether ip may be dialed on port: a public address, or
// an internal one listed itself (with the port, or bare for 80 and 443).
func (h *httpHandler) dialable(ip netip.Addr, port string) bool {
	if !internalAddr(ip) {
		return true
	}
	ip = ip.Unmap().WithZone("")
	return ip.IsValid() && h.cfg.Allow.Allows(ip.String(), port, "80", "443")
}
