-- 0002: the storage identity (taskq.StorageIdentity): one row, created on
-- first use by StorageID, naming the data set this schema holds.
CREATE TABLE {schema}.storage_identity (
    singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    id        uuid        NOT NULL,
    created   timestamptz NOT NULL DEFAULT now()
);
