-- storeflow schema, version 3 (PostgreSQL): the identity of this database.

-- One row, made once by this migration: a random id (32 lower-case hex digits,
-- a version 4 UUID without its dashes) that tells this database apart from every
-- other. The store reads it at open (Store::InstallationId) and every step's
-- idempotency key starts with it, so two databases that each have a run 1 never
-- hand a plugin the same key. It never changes: a restart, every engine sharing
-- the database and a restored backup see the same id.
CREATE TABLE installation (
  singleton SMALLINT PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL CHECK (length(id) = 32),
  created_at BIGINT NOT NULL
);

INSERT INTO installation (singleton, id, created_at)
VALUES (1, replace(gen_random_uuid()::text, '-', ''),
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
