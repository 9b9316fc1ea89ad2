-- storeflow schema, version 1 (PostgreSQL).
-- Times are milliseconds since the epoch from the engine's clock (never the
-- database's); JSON is stored as text (parsed once by the engine, and 64-bit
-- integers stay exact). docs/architecture.md describes every table.

CREATE TABLE workflow_versions (
  hash TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  version BIGINT NOT NULL,
  source_path TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX workflow_versions_by_workflow ON workflow_versions (workflow, version);

CREATE TABLE events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic TEXT NOT NULL,
  source TEXT NOT NULL,
  dedup_key TEXT,
  payload TEXT NOT NULL,
  meta TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_dedup ON events (source, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX events_by_topic ON events (topic, id);
CREATE INDEX events_by_created ON events (created_at);

CREATE TABLE event_keys (
  topic TEXT NOT NULL,
  expr_id TEXT NOT NULL,
  value TEXT NOT NULL,
  event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (topic, expr_id, value, event_id)
);
CREATE INDEX event_keys_by_event ON event_keys (event_id);

CREATE TABLE runs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow TEXT NOT NULL,
  version_hash TEXT NOT NULL,
  run_key TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'ready', 'running', 'sleeping', 'waiting',
    'completed', 'failed', 'cancelled', 'rejected', 'skipped')),
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  state TEXT NOT NULL,
  event_id BIGINT,
  due_at BIGINT,
  lease_owner TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
-- Claiming walks this index from the earliest due time (FOR UPDATE SKIP LOCKED).
CREATE INDEX runs_due ON runs (due_at) WHERE due_at IS NOT NULL;
-- Few rows: the runs in flight. Finds expired leases for NextDueAt.
CREATE INDEX runs_leased ON runs (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX runs_by_workflow_status ON runs (workflow, status, id);
CREATE INDEX runs_by_workflow_key ON runs (workflow, run_key, id);

CREATE TABLE steps (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_path TEXT NOT NULL,
  seq BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'skipped')),
  attempts BIGINT NOT NULL,
  input TEXT,
  output TEXT,
  error TEXT,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  PRIMARY KEY (run_id, step_path)
);

CREATE TABLE waits (
  run_id BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  step_path TEXT NOT NULL,
  topic TEXT NOT NULL,
  expr_id TEXT NOT NULL,
  wait_key TEXT NOT NULL,
  after_event_id BIGINT NOT NULL,
  expires_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX waits_by_key ON waits (topic, expr_id, wait_key);

-- COLLATE "C": keys sort byte-wise (= code point order), so prefix listing is an
-- index range scan whatever the database's locale.
CREATE TABLE records (
  collection TEXT NOT NULL,
  record_key TEXT COLLATE "C" NOT NULL,
  value TEXT NOT NULL,
  revision BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (collection, record_key)
);

CREATE TABLE effects (
  idempotency_key TEXT PRIMARY KEY,
  output TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE dedupe (
  workflow TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (workflow, dedupe_key)
);
CREATE INDEX dedupe_by_expiry ON dedupe (expires_at);

CREATE TABLE schedules (
  workflow TEXT NOT NULL,
  trigger_index BIGINT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  next_due_at BIGINT NOT NULL,
  PRIMARY KEY (workflow, trigger_index)
);
CREATE INDEX schedules_due ON schedules (next_due_at);
