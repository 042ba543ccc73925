package taskq

import "time"

// SetPushLimits sets the background pushes' cap on waiting entries and
// their retry delay for a test, and returns a function that restores them.
func SetPushLimits(maxPending int, retryDelay time.Duration) (restore func()) {
	oldMax, oldDelay := maxPendingPushes, pushRetryDelay
	maxPendingPushes = maxPending
	pushRetryDelay = func(int) time.Duration { return retryDelay }
	return func() { maxPendingPushes, pushRetryDelay = oldMax, oldDelay }
}
