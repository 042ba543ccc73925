package redisstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq/internal/names"
)

// DefaultKeyPrefix is the key prefix used when Config.KeyPrefix is empty.
const DefaultKeyPrefix = "taskq"

// Defaults of the listing budget (see Config.ScanBatch and
// Config.ScanLimit).
const (
	DefaultScanBatch = 1000
	DefaultScanLimit = 10000
)

// Config configures a Store. The zero value works.
type Config struct {
	// KeyPrefix names the store's data set: every key carries the hash
	// tag {KeyPrefix}. It must be 1-64 letters, digits and ._:-/. Default
	// "taskq". A prefix is one data set; two deployments need two.
	KeyPrefix string
	// Now returns the current time where a caller gives none (the DLQ
	// entry time of MoveTaskToDeadLetter, StartTasks with a zero time).
	// Default time.Now.
	Now func() time.Time
	// ScanBatch is how many index entries one listing script call examines
	// at most (ListTasks filters the entries of the most selective index
	// inside the script; GetDeadLetterTasks filters by type). It bounds
	// how long one call keeps Redis busy. Default 1000; a call examines up
	// to the page size plus one when that is more, within ScanLimit.
	ScanBatch int
	// ScanLimit is how many index entries one ListTasks or
	// GetDeadLetterTasks call examines at most, over several script calls,
	// before it returns a short page (possibly empty) with a cursor that
	// continues where the scan stopped. Default 10000.
	ScanLimit int
	// ClientOption, when set, adjusts the rueidis options NewFromURL
	// builds before the client is created (timeouts, TLS, pool sizes).
	// New ignores it.
	ClientOption func(*rueidis.ClientOption)
}

func (c Config) withDefaults() (Config, error) {
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if !names.Valid(c.KeyPrefix, 64) || strings.ContainsAny(c.KeyPrefix, "{}") {
		return c, fmt.Errorf("redisstore: KeyPrefix %q must be 1-64 letters, digits and ._:-/", c.KeyPrefix)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ScanBatch <= 0 {
		c.ScanBatch = DefaultScanBatch
	}
	if c.ScanLimit <= 0 {
		c.ScanLimit = DefaultScanLimit
	}
	if c.ScanLimit < c.ScanBatch {
		c.ScanLimit = c.ScanBatch
	}
	return c, nil
}
