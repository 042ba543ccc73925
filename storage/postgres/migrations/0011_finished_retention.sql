-- 0011: retention of finished tasks (taskq.FinishedDeleter). Completed
-- and cancelled tasks by completion time, so that the retention job finds
-- the oldest ones with a range scan and deletes them in small batches.
--
-- The predicate reads the generated columns active and rare_status, not
-- status: completed is "not active, no rare status", cancelled is "not
-- active, rare status cancelled". Reading status itself would make the
-- pending -> running update touch an indexed column and lose HOT.
CREATE INDEX tasks_finished_idx ON {schema}.tasks (completed_at)
    WHERE NOT active AND (rare_status IS NULL OR rare_status = 'cancelled');
