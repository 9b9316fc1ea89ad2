-- storeflow schema, version 1 (SQLite).
-- Times are milliseconds since the epoch from the engine's clock (never the
-- database's); JSON is stored as text. docs/architecture.md describes every table.

CREATE TABLE workflow_versions (
  hash TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  source_path TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX workflow_versions_by_workflow ON workflow_versions (workflow, version);

-- AUTOINCREMENT: ids are never reused, so "events after id N" stays meaningful.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  source TEXT NOT NULL,
  dedup_key TEXT,
  payload TEXT NOT NULL,
  meta TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_dedup ON events (source, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX events_by_topic ON events (topic, id);
CREATE INDEX events_by_created ON events (created_at);

CREATE TABLE event_keys (
  topic TEXT NOT NULL,
  expr_id TEXT NOT NULL,
  value TEXT NOT NULL,
  event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (topic, expr_id, value, event_id)
) WITHOUT ROWID;
CREATE INDEX event_keys_by_event ON event_keys (event_id);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow TEXT NOT NULL,
  version_hash TEXT NOT NULL,
  run_key TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'ready', 'running', 'sleeping', 'waiting',
    'completed', 'failed', 'cancelled', 'rejected', 'skipped')),
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  state TEXT NOT NULL,
  event_id INTEGER,
  due_at INTEGER,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
-- Claiming walks this index from the earliest due time.
CREATE INDEX runs_due ON runs (due_at) WHERE due_at IS NOT NULL;
-- Few rows: the runs in flight. Finds expired leases for NextDueAt.
CREATE INDEX runs_leased ON runs (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX runs_by_workflow_status ON runs (workflow, status, id);
CREATE INDEX runs_by_workflow_key ON runs (workflow, run_key, id);

CREATE TABLE steps (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_path TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'skipped')),
  attempts INTEGER NOT NULL,
  input TEXT,
  output TEXT,
  error TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (run_id, step_path)
);

CREATE TABLE waits (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  step_path TEXT NOT NULL,
  topic TEXT NOT NULL,
  expr_id TEXT NOT NULL,
  wait_key TEXT NOT NULL,
  after_event_id INTEGER NOT NULL,
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX waits_by_key ON waits (topic, expr_id, wait_key);

CREATE TABLE records (
  collection TEXT NOT NULL,
  record_key TEXT NOT NULL,
  value TEXT NOT NULL,
  revision INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (collection, record_key)
);

CREATE TABLE effects (
  idempotency_key TEXT PRIMARY KEY,
  output TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE dedupe (
  workflow TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workflow, dedupe_key)
) WITHOUT ROWID;
CREATE INDEX dedupe_by_expiry ON dedupe (expires_at);

CREATE TABLE schedules (
  workflow TEXT NOT NULL,
  trigger_index INTEGER NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  next_due_at INTEGER NOT NULL,
  PRIMARY KEY (workflow, trigger_index)
);
CREATE INDEX schedules_due ON schedules (next_due_at);
