// Package periodic enqueues tasks on schedules: cron expressions and fixed
// intervals, each in its own time zone, through a *taskq.Client, on one
// replica at a time.
//
// # One task per tick
//
// A [Scheduler] runs on every replica and campaigns through an [Elector]
// (a leader.Elector on a shared store); only the leader enqueues. Every
// task carries the idempotency key [IdempotencyKey](schedule, tick), so a
// tick yields exactly one task however many replicas try to enqueue it:
// two leaders overlapping during a failover, or a new leader enqueueing
// again the ticks of the previous one, find the existing task (the
// storage answers ErrDuplicate) and move on. The idempotency key is what
// makes this exact; leader election only keeps the work on one replica.
//
// # Ticks
//
// A Schedule's Spec is a cron expression (5 fields, or 6 with a leading
// seconds field, or a descriptor such as @daily) read in its TimeZone
// with github.com/robfig/cron/v3, or "@every <duration>", whose ticks are
// whole multiples of the duration since the Unix epoch, so that every
// replica computes the same ticks whenever it started. A task is enqueued
// when its tick comes (not ahead of it), with the schedule's options and a
// description naming the schedule and the tick.
//
// # Missed ticks
//
// A new leader does not know what its predecessor did; it does not need
// to. At the start of a term it enqueues the ticks of the last
// Config.Grace (default 15s, above the default failover bound of package
// leader), the idempotency key dropping those already done, and then every
// tick as it comes. Ticks older than that (all replicas were down) follow
// the schedule's MissedPolicy: Skip drops them; CatchUpOnce enqueues one
// task for the most recent of them (again deduplicated by its key, so a
// task that exists is not enqueued twice). Nothing is stored besides the
// tasks themselves: the last run is derived from the key lookup. A
// consequence is that a brand-new schedule enqueues the ticks of the last
// Grace at its first start, and under CatchUpOnce the tick before them; set
// Grace negative for none. Another is that a deleted task (cleaned up) no
// longer deduplicates: keep completed tasks longer than Grace.
//
// A failed enqueue is retried every RetryInterval while its tick is within
// the grace period (or one minute, whichever is longer); the tick is then
// missed like the others.
//
// # Stored schedules
//
// Besides Config.Schedules, fixed when the Scheduler is built, a
// Scheduler reads the schedules of Config.Source: a storage implementing
// taskq.ScheduleStore, where schedules are created and deleted at run time
// and shared by every replica. Every replica reads the Source when Run
// starts and then every Config.ReloadInterval (default 5s), and
// Scheduler.Reload reads it at once (call it after changing the store from
// this process). Hence:
//
//   - a created schedule is enqueued from its first tick after the leader
//     read it: within ReloadInterval (at once on the replica that created
//     it and called Reload, when it leads). A stored schedule enqueues no
//     tick from before its creation (taskq.StoredSchedule.Created), not
//     even the grace period's;
//   - a deleted schedule enqueues no tick once the leader read the Source
//     again: within ReloadInterval, plus the step in progress.
//
// A stored schedule named like one of Config.Schedules, or invalid (a bad
// spec or time zone, a task the client refuses), is left out and logged.
// A failed read keeps the schedules of the previous one.
//
// # Observability
//
// Scheduler.Schedules lists every schedule with its next and last run;
// an [Observer] (package metrics implements it) receives run times, next
// run times and failures per schedule.
package periodic
