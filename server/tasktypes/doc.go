// Package tasktypes holds the built-in task types of the taskq reference
// server: noop, sleep, fail, flaky and http (see docs/api.md). Each [Type] pairs
// a handler with a validator of its metadata, run when a task is created so
// that bad input is refused with 422 instead of failing later.
//
// The http type calls only hosts of an [AllowList], through the circuit
// breaker of the host, and guards against SSRF: the URL is checked when the
// task is created and again when it runs, user-info and non-HTTP schemes
// are refused, redirects may not leave the host, and every connection is
// checked at dial time after name resolution: an internal address
// (loopback, private, CGNAT, link-local and cloud metadata, unspecified,
// multicast, reserved, and their IPv4-in-IPv6 forms) is dialed only when
// that exact IP and port are on the list; an allow-listed name resolving
// to one is refused.
package tasktypes
