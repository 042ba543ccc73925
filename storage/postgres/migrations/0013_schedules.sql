-- 0013: periodic schedule definitions created at run time
-- (taskq.ScheduleStore). The periodic scheduler of every process reads
-- them; a row is one schedule.
CREATE TABLE {schema}.schedules (
    name       text        PRIMARY KEY,
    spec       text        NOT NULL,
    timezone   text        NOT NULL DEFAULT '',
    type       text        NOT NULL,
    metadata   jsonb,
    queue      text        NOT NULL DEFAULT '',
    priority   smallint    NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    missed     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
