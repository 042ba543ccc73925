package redisentry

import (
	"strings"
	"testing"
	"time"
)

func TestRunAtArg(t *testing.T) {
	if got := RunAtArg(time.Time{}); got != "0" {
		t.Fatalf("zero time: %q", got)
	}
	at := time.UnixMilli(1_700_000_000_123)
	if got := RunAtArg(at); got != "1700000000123" {
		t.Fatalf("whole millisecond: %q", got)
	}
	// Rounded up: an entry never becomes ready before its run time.
	if got := RunAtArg(at.Add(time.Microsecond)); got != "1700000000124" {
		t.Fatalf("a microsecond later: %q", got)
	}
}

// TestKeysLuaNamesKeys: the Lua table of suffixes holds, in order, what
// Keys appends to the tag (the Lua side cannot call Keys).
func TestKeysLuaNamesKeys(t *testing.T) {
	keys := Keys("p", "q")
	for i, k := range keys {
		suffix := strings.TrimPrefix(k, Tag("p", "q"))
		if suffix == k {
			t.Fatalf("key %d (%s) lacks the tag", i, k)
		}
		if !strings.Contains(KeysLua, `"`+suffix+`"`) {
			t.Fatalf("KeysLua lacks %q", suffix)
		}
	}
	if len(keys) != NumKeys || !strings.HasSuffix(keys[KeyEntries], ":entries") {
		t.Fatalf("keys: %v", keys)
	}
}
