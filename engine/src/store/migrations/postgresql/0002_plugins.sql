-- storeflow schema, version 2 (PostgreSQL): what plugins keep through the host.

-- Each plugin's own key/value space (host service kv_*). Values are base64 text
-- (plugins may store any bytes); expires_at NULL means never.
CREATE TABLE plugin_kv (
  plugin TEXT NOT NULL,
  kv_key TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (plugin, kv_key)
);

-- Token buckets of the rate governor shared by engines (host service
-- rate_acquire): every engine on the database takes from the same row, under a
-- row lock, in a short transaction. Tokens are kept in millionths.
CREATE TABLE rate_buckets (
  name TEXT PRIMARY KEY,
  tokens_micro BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
