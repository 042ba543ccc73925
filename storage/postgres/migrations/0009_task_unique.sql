-- 0009: unique tasks (taskq.UniqueOpts). A row holds a unique key for the
-- last task created with it; that task holds the key while its status is
-- one of states. Creating a unique task takes the row (inserted, or
-- locked with FOR UPDATE and taken over when its task no longer holds the
-- key) in the transaction that inserts the task, so concurrent creations
-- with one key are serialized and exactly one stores its task. The tasks
-- table is unchanged: status changes never touch this table, and a task
-- that leaves its states releases the key by the check of the next
-- creation. A deleted task takes its row with it (the foreign key is
-- checked at commit, so the row may be written before the task).
CREATE TABLE {schema}.task_unique (
    key     text   PRIMARY KEY,
    task_id uuid   NOT NULL REFERENCES {schema}.tasks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    states  text[] NOT NULL
);
-- The cascade of a task deletion.
CREATE INDEX task_unique_task_id_idx ON {schema}.task_unique (task_id);
