package leader

import (
	"context"
	"time"
)

// Store holds leases. Implementations are safe for concurrent use, and
// measure expiry with a single clock of their own (the store's), so the
// clocks of the callers do not matter for who holds a lease.
type Store interface {
	// Acquire takes the lease on name for holder for ttl if nobody holds
	// it (never held, released, or expired). It returns the new fencing
	// token, strictly greater than every token given before for name, and
	// true; or 0 and false when another holder has it (a holder that
	// already holds the lease also gets false: it renews instead).
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (token int64, ok bool, err error)
	// Renew extends the lease to ttl from now if holder still holds it
	// with token and it has not expired. It returns false when the lease
	// is lost: the caller must stop acting as leader.
	Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (ok bool, err error)
	// Release gives the lease up if holder still holds it with token, so
	// that another holder may acquire it at once. Releasing a lease that
	// is not held is not an error.
	Release(ctx context.Context, name, holder string, token int64) error
}
