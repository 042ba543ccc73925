-- 0001: API keys of the reference server, in the configured schema
-- ({schema}). A key is stored as a SHA-256 hash only; the secret is never
-- kept.
CREATE TABLE {schema}.api_keys (
    id         text        PRIMARY KEY,
    name       text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('admin', 'user')),
    hash       bytea       NOT NULL UNIQUE,
    created    timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used  timestamptz
);

CREATE INDEX api_keys_created_idx ON {schema}.api_keys (created, id);
