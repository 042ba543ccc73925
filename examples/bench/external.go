package main

import "context"

// openExternal opens the Redis / PostgreSQL backends.
func openExternal(_ context.Context, _ options, _ string, _ *backends) error {
	return errUnknownBackend
}
