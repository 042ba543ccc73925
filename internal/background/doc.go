// Package background runs the goroutines a backend starts on its callers'
// behalf (a merged script call that outlives its first caller) so that
// the backend's Close can refuse new ones and wait for those running.
package background
