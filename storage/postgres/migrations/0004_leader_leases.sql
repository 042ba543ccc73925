-- 0004: leases of leader election (package leader/pgleader). One row per
-- elected name, kept for good so that token only grows: acquiring a free or
-- expired lease increments it (the fencing token); releasing a lease only
-- moves expires_at to now. Expiry is measured by the database clock.
CREATE TABLE {schema}.leader_leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    token      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
