-- 0005: the trace context of the enqueue (taskq.Task.TraceContext), so an
-- attempt in any process continues the trace that created the task. NULL
-- when tracing is off.
ALTER TABLE {schema}.tasks ADD COLUMN trace_context jsonb;
