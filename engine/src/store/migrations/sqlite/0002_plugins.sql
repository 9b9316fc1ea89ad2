-- storeflow schema, version 2 (SQLite): what plugins keep through the host.

-- Each plugin's own key/value space (host service kv_*). Values are base64 text
-- (plugins may store any bytes); expires_at NULL means never.
CREATE TABLE plugin_kv (
  plugin TEXT NOT NULL,
  kv_key TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (plugin, kv_key)
) WITHOUT ROWID;

-- Token buckets of the rate governor shared by engines (host service
-- rate_acquire). Tokens are kept in millionths so the column stays an integer.
CREATE TABLE rate_buckets (
  name TEXT PRIMARY KEY,
  tokens_micro INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
