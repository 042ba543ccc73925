-- 0011: the progress a running task's handler last reported
-- (taskq.ProgressWriter), as JSON: percent, message, attempt, updated.
-- No index covers it, so writing it is a HOT update.
ALTER TABLE {schema}.tasks ADD COLUMN progress jsonb;
