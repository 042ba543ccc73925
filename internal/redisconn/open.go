package redisconn

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/taskq/taskq"
)

// Open creates a rueidis client from url (the forms of rueidis.ParseURL:
// redis://, rediss://, unix://, several addr= for a cluster, master_set=
// for Sentinel). Client-side caching is turned off and rueidis' own
// retries of read-only commands are bounded (three attempts), so an outage
// surfaces as taskq.ErrUnavailable instead of blocking; tune, when not nil,
// may change the options last. An empty url, or options left without an
// address, gives ErrNoAddress; errors are prefixed with pkg.
func Open(pkg, url string, tune func(*rueidis.ClientOption)) (rueidis.Client, error) {
	if strings.TrimSpace(url) == "" {
		return nil, ErrNoAddress(pkg)
	}
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, &taskq.Error{Code: taskq.CodeInvalidInput, Message: pkg + ": invalid redis URL", Err: err}
	}
	opt.DisableCache = true
	opt.RetryDelay = boundedRetryDelay
	if tune != nil {
		tune(&opt)
	}
	if len(opt.InitAddress) == 0 || slices.Contains(opt.InitAddress, "") {
		return nil, ErrNoAddress(pkg)
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, MapErr(context.Background(), pkg, "connect", err)
	}
	return client, nil
}

// boundedRetryDelay gives up after three attempts (rueidis retries only
// read-only commands and subscriptions on connection errors).
func boundedRetryDelay(attempts int, _ rueidis.Completed, _ error) time.Duration {
	if attempts > 3 {
		return -1
	}
	return time.Duration(attempts*attempts) * 10 * time.Millisecond
}
