-- 0006: paused queues (taskq.QueuePauser). A queue is paused while its row
-- exists; workers lease none of its tasks.
CREATE TABLE {schema}.paused_queues (
    name      text        PRIMARY KEY,
    paused_at timestamptz NOT NULL DEFAULT now()
);
