package redisstore

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/taskq/taskq/internal/timerange"
)

// keys are the fixed key names of one store; the scripts derive the others
// (task records and per-attribute indexes) from the tag they receive as
// ARGV[1]. Every key starts with the tag {prefix}, so all of them hash to
// one cluster slot.
type keys struct {
	tag     string // {prefix}
	all     string // zset of every task id (score 0, lexicographic)
	dlq     string // zset of DLQ members (score 0): encTime(dead_lettered_at) .. id
	storage string // the store's identity (a UUID), set once
	usage   string // per-owner counters (hash, see scripts.go)
	paused  string // set of paused queue names
}

func newKeys(prefix string) keys {
	tag := "{" + prefix + "}"
	return keys{tag: tag, all: tag + ":all", dlq: tag + ":dlq", storage: tag + ":storage_id", usage: tag + ":usage", paused: tag + ":paused"}
}

func (k keys) task(id string) string { return k.tag + ":t:" + id }

// encTime encodes t, truncated to the microsecond, as 16 lowercase hex
// digits that sort (as bytes) in time order: Unix microseconds with the
// sign bit flipped. Every time in the engine's range (years 1-9999) fits,
// which a zset score (a double, exact to 2^53 µs, about year 2255) would
// not.
func encTime(t time.Time) string { return encMicros(t.UnixMicro()) }

// encTimeCeil encodes the smallest stored instant not before t: t rounded
// up to the microsecond. "stored < t" holds exactly when
// "stored < encTimeCeil(t)" does.
func encTimeCeil(t time.Time) string {
	us := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return encMicros(us)
}

func encMicros(us int64) string {
	s := strconv.FormatUint(uint64(us)^1<<63, 16)
	return "0000000000000000"[len(s):] + s
}

func decTime(s string) (time.Time, bool) {
	if len(s) != 16 {
		return time.Time{}, false
	}
	u, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(u ^ 1<<63)).UTC(), true
}

// dlqMember is the DLQ index entry of a task: the entry time, then the id,
// so the zset's byte order is (dead_lettered_at, id), oldest first.
func dlqMember(at time.Time, id string) string { return encTime(at) + id }

// Cursors are opaque base64url strings. A task cursor is the id where the
// listing stopped (the last id returned or examined; the next page starts
// below it), as in the in-memory store. A DLQ cursor is the DLQ member
// where the listing stopped: 16 hex digits of the entry time, then the id.

func encodeCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeTaskCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

func decodeDLQCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) <= 16 {
		return "", false
	}
	at, ok := decTime(string(b[:16]))
	if !ok || !timerange.Valid(at) || encTime(at) != string(b[:16]) {
		return "", false
	}
	return string(b), true
}
