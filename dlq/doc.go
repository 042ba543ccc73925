// Package dlq implements taskq.DeadLetterQueue over a taskq.StorageAdapter
// and a taskq.Queue: moves with a size cap that evicts the oldest entries
// of the owner holding the most, listing oldest first, retry with its own
// limit and doubling backoff, removal, and a retention cleanup job that
// runs on an interval and on demand.
package dlq
