-- storeflow schema, version 3 (SQLite): the identity of this database.

-- One row, made once by this migration: a random id (32 lower-case hex digits,
-- 128 bits) that tells this database apart from every other. The store reads it
-- at open (Store::InstallationId) and every step's idempotency key starts with
-- it, so two databases that each have a run 1 never hand a plugin the same key.
-- It never changes: a restart, a second engine or a restored backup sees the same id.
CREATE TABLE installation (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL CHECK (length(id) = 32),
  created_at INTEGER NOT NULL
);

INSERT INTO installation (singleton, id, created_at)
VALUES (1, lower(hex(randomblob(16))),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
