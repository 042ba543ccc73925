package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// kind is the task type of every system.
const kind = "noop"

// payloadSize is the JSON size of every task's payload.
const payloadSize = 100

// pad fills the payload up to payloadSize bytes.
var pad = strings.Repeat("x", payloadSize-len(`{"t":"0000000000000000000","pad":""}`))

// payload is the task input of every system: the enqueue time (Unix
// nanoseconds, 19 digits) and padding, 100 bytes of JSON. The latency
// phases read the enqueue time back in the handler.
type payload struct {
	T   string `json:"t"`
	Pad string `json:"pad"`
}

func newPayload(now time.Time) payload {
	return payload{T: fmt.Sprintf("%019d", now.UnixNano()), Pad: pad}
}

// metadata is the payload as taskq metadata (the same JSON).
func (p payload) metadata() map[string]any {
	return map[string]any{"t": p.T, "pad": p.Pad}
}

// sentAt parses the enqueue time of a payload.
func sentAt(t string) (time.Time, error) {
	ns, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("payload time %q: %w", t, err)
	}
	return time.Unix(0, ns), nil
}

// Kind is River's job kind of the payload.
func (payload) Kind() string { return kind }
